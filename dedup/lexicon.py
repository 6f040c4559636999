"""Word lists the classifier reads its offline name signals from (German and English).

Kept small and general: titles, role nouns, speech verbs, determiners and
prepositions, common first names, and countries and large cities. None of
them decides alone; `classify.name_score` weighs them together.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.lower().split())


TITLES = _words(
    "prof dr herr frau hr fr mr mrs ms miss sir dame lord lady mag ing dipl minister ministerin "
    "senator senatorin präsident präsidentin president judge richter richterin st saint"
)
TITLE_ABBREVIATIONS = _words("prof dr hr fr mr mrs ms mag ing dipl st")  # their point ends no sentence
SPEECH_VERBS = _words(
    "betonte betont sagte sagt erklärte erklärt meinte meint ergänzte ergänzt unterstrich "
    "unterstreicht führte fügte hob lobte kritisierte forderte warnte bekräftigte so "
    "said says stated states added adds explained explains noted notes told tells stressed "
    "stresses emphasised emphasized argued argues warned warns according"
)
ATTRIBUTION = _words("so laut said says per")
ROLE_SUFFIXES = (
    "sprecher", "sprecherin", "meister", "meisterin", "minister", "ministerin", "präsident",
    "präsidentin", "direktor", "direktorin", "leiter", "leiterin", "vorsitzende", "vorsitzender",
    "führer", "führerin", "chef", "chefin", "rat", "rätin", "beauftragte", "beauftragter", "gründer",
    "gründerin", "entwickler", "entwicklerin", "autor", "autorin", "vorstand", "vorständin", "dezernent",
    "dezernentin", "referent", "referentin", "koordinator", "koordinatorin",
    "spokesperson", "spokesman", "spokeswoman", "mayor", "minister", "director", "chairman",
    "chairwoman", "chair", "ceo", "president", "secretary", "manager", "officer", "head",
    "professor", "author", "founder", "councillor", "councilor", "governor", "senator", "developer",
)  # fmt: skip
DETERMINERS = _words(
    "der die das den dem des ein eine einen einem einer eines kein keine keinen keinem keiner "
    "dieser diese dieses diesem diesen jeder jede jedes jedem jeden mein meine sein seine seinem "
    "seinen seiner ihr ihre ihrem ihren ihrer unser unsere unserem unseren euer eure welche welcher "
    "alle allen beide beiden viele vielen einige einigen mehrere "
    "the a an this that these those"
)
# Personal pronouns that stand for a person named elsewhere ("sagte Kemmler" -> "sagte sie").
PERSONAL_PRONOUNS = _words("er sie ihm ihn ihr he she him her they them")
# Prepositions that take a noun with its article in German ("in der Stadt") but a
# name without one ("in Darmstadt"); contracted forms (im, vom, zum) hold the article.
PREPOSITIONS = _words(
    "in nach aus von bei mit für durch über unter gegen ohne um an auf zu bis seit "
    "zwischen hinter neben vor laut gemäß wegen trotz samt "
)
FIRST_NAMES = _words(
    """anna maria julia laura lena lea sarah sophie katharina christina sabine petra monika
    andrea claudia susanne birgit stefanie nicole kristina martina ursula renate karin heike
    angela barbara elisabeth ingrid helga gisela emma mia hannah johanna charlotte clara
    katrin anja silke britta nadine jana tanja sandra simone daniela melanie kerstin ute
    thomas michael andreas stefan stephan peter klaus jürgen wolfgang hans frank uwe bernd
    markus martin christian matthias tobias alexander jan jens jochen jörg dieter günter
    gerhard helmut horst manfred werner rainer ralf olaf karl heinz friedrich wilhelm paul
    lukas felix jonas leon maximilian david daniel sebastian florian philipp simon moritz
    kai lars nils sven dirk holger volker armin norbert reinhard joachim ulrich hartmut
    john james robert william richard joseph charles george edward henry mary patricia
    jennifer linda elizabeth susan jessica margaret emily olivia sophia isabella amelia
    mark steven kevin brian jason ryan eric jacob ethan noah liam oliver lucas harry jack
    anne jane helen alice grace ruth rachel rebecca catherine victoria kate lucy ian bruce
    tom tim ben sam joe dan ray alan colin neil keith graham stuart gordon andrew anthony
    matthew christopher nicholas jonathan benjamin samuel patrick sean kenneth ronald
    donald gary larry jeffrey scott frank raymond gregory joshua jerry dennis walter
    carl arthur roger albert lawrence terry jose juan carlos luis miguel pedro antonio
    pierre jean jacques louis marie sophie claire luca marco giuseppe giovanni francesco
    lars erik anders ole jens per björn nina eva lisa sara laura elena olga ivan igor"""
)
PLACES = _words(
    """deutschland österreich schweiz frankreich italien spanien portugal niederlande belgien
    luxemburg dänemark schweden norwegen finnland polen tschechien ungarn griechenland
    türkei russland ukraine england schottland irland großbritannien amerika kanada mexiko
    brasilien argentinien china japan indien australien afrika europa asien südafrika
    germany austria switzerland france italy spain netherlands belgium denmark sweden
    norway finland poland hungary greece turkey russia ireland britain scotland wales
    america canada mexico brazil argentina japan india australia africa europe asia
    berlin hamburg münchen köln frankfurt stuttgart düsseldorf dortmund essen leipzig
    bremen dresden hannover nürnberg duisburg bochum wuppertal bielefeld bonn münster
    mannheim karlsruhe augsburg wiesbaden mainz darmstadt kassel freiburg heidelberg
    braunschweig kiel lübeck rostock potsdam erfurt magdeburg halle saarbrücken wien graz
    linz salzburg innsbruck zürich genf basel bern lausanne paris lyon marseille rom
    mailand madrid barcelona lissabon amsterdam rotterdam brüssel kopenhagen stockholm
    oslo helsinki warschau prag budapest athen moskau london manchester birmingham
    liverpool edinburgh glasgow dublin cardiff belfast oxford cambridge york bristol
    leeds sheffield new boston chicago washington seattle toronto montreal vancouver
    sydney melbourne tokio tokyo peking beijing shanghai delhi mumbai kapstadt"""
)
