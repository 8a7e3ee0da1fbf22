"""Everyday words of each locale, as `plain` writes them: words a caller says that are not names.

Used by `dialogue.understand.practitioners` so that "mon mari", "le matin", "merci", "c'est clair", "the morning" or
"my son" never turn into a practitioner by sound or spelling ("mari" ~ "Marie", "clair" ~ "Claire").
The lists hold function words, courtesy, common verbs (with the forms callers use), family and people,
time, numbers, booking and medical vocabulary, fillers and common adjectives and adverbs: words any
caller may say, whatever the roster. First names are left out on purpose ("Marie", "Pierre", "Grace"),
even when they are also nouns. A roster name that *is* an everyday word ("Petit", "Young", "Green") is
still recognised when it is marked as a name: see `dialogue.understand.practitioners`.
"""

from __future__ import annotations

from dialogue.understand.text import MONTHS, WEEKDAYS

_FR = """
le la les l un une des de du d au aux a et ou mais donc car ni que qu qui quoi dont ce cet cette ces c ca cela
ceci celui celle ceux celles ci je j me m moi tu te t toi il elle on nous vous ils elles se s lui leur leurs y en
mon ma mes ton ta tes son sa ses notre nos votre vos ne n pas plus rien jamais personne tout tous toute toutes
autre autres meme memes quel quelle quels quelles lequel laquelle chaque quelque quelques plusieurs aucun aucune
avec sans pour par sur sous dans chez vers entre apres avant depuis pendant contre devant derriere pres loin
jusqu jusque des selon comme
oui non si bien mal tres trop peu beaucoup assez encore deja toujours aussi ici voila voici alors puis ensuite
enfin maintenant bientot tot tard vite plutot comment combien pourquoi quand peut etre vraiment juste seulement
surtout accord bon bonne bref ok okay d cool super parfait exactement absolument evidemment certainement
bonjour bonsoir salut merci beaucoup svp plait pardon excusez excuse desole desolee revoir allo bye journee
madame monsieur mademoiselle messieurs dames
etre suis es est sommes etes sont etait etaient ete sera serai serait avoir ai as avons avez ont avait avais
aurait aurais eu faire fais fait faisons faites font faut fallait falloir aller vais vas va allons allez vont
venir viens vient venons venez viennent venu venue pouvoir peux pouvons pouvez peuvent pourrais pourrait
pourriez pourra pourrai vouloir veux veut voulons voulez veulent voudrais voudrait voudrions voudriez savoir
sais sait savez dire dis dit dites voir vois voit voyez vu prendre prends prend prenez pris prise appeler
appelle appelez appelais rappeler rappelle rappelez mettre mets met donner donne donnez passer passe passez
parler parle parlez chercher cherche trouver trouve attendre attends attendez rester reste partir pars part
changer change annuler annule deplacer reporter decaler reserver noter note confirmer confirme confirmez
besoin aimer aime aimerais souhaite souhaiterais souhaitons souhaitez penser pense crois croire comprends
compris entendu entends ecoute ecoutez vient arrive arriver sortir sors tombe tombee
mari femme epouse epoux conjoint compagnon compagne fils fille filles enfant enfants bebe bebes nourrisson
garcon garcons petit petite petits petites frere soeur pere mere papa maman parent parents grand grande
grands oncle tante cousin cousine neveu niece ami amie voisin voisine patient patiente patients homme dame
gens famille beau belle copain copine mamie papi papy tata tonton
jour jours semaine semaines mois an ans annee annees heure heures minute minutes matin matinee midi minuit
aprem soir soiree nuit aujourd hui demain hier prochain prochaine prochains dernier derniere date moment fois
week end fin debut milieu quinze huit quinzaine suivant suivante
zero deux trois quatre cinq six sept neuf dix onze douze treize quatorze seize vingt trente
quarante cinquante soixante cent cents mille premier premiere deuxieme second seconde troisieme quatrieme
rendez vous rdv consultation visite docteur docteurs medecin medecins cabinet secretaire secretariat place
creneau creneaux horaire horaires ordonnance vaccin vaccination rappel controle suivi examen analyse analyses
resultat resultats urgence urgent urgente telephone numero nom prenom naissance adresse dossier carte vitale
mutuelle certificat arret travail piqure prise sang bilan
mal douleur douleurs fievre toux grippe rhume gorge ventre tete dos jambe jambes bras pied pieds main mains
oeil yeux oreille oreilles dent dents coeur peau poitrine genou epaule cou nez malade maladie sante tension
diabete allergie blessure chute fatigue
euh heu hum hmm ben bah hein machin truc chose choses bidule genre quoi
clair grand gros nouveau nouvelle vieux vieille jeune premier possible libre dispo disponible long longue
court courte blanc noir rouge vert bleu jaune rose gris
"""

_EN = """
the a an of to in on at for from by with about as into onto over under after before between through during
without within off up down out and or but so if then than because while that this these those there here
i me my mine myself you your yours yourself he him his himself she her hers herself it its itself we us our
ours they them their theirs who whom whose which what when where why how
am is are was were be been being have has had having do does did doing done will would shall should can
could may might must need needs needed want wants wanted like likes liked get gets got getting go goes going
went gone come comes coming came see sees saw seen make makes made take takes took taken give gives gave
call calls called ring rang book booked booking cancel cancelled change changed move moved help think know
join joins joined joining
say said tell told ask asked wait speak talk work feel feeling let put keep try look find
s t d ll re ve m don doesn didn isn aren wasn weren can cannot couldn wouldn shouldn won haven hasn hadn
yes yeah yep yup no nope nah not never ok okay alright right well fine sure please thanks thank cheers
hello hi hey bye goodbye sorry pardon excuse dear sir madam
husband wife partner son sons daughter daughters child children kid kids baby babies boy boys girl girls mum
mom mummy mother dad daddy father parent parents brother sister grandmother grandfather grandma grandad
grandpa nan nana granny aunt uncle cousin friend neighbour neighbor family man men woman women lady
gentleman person people patient patients myself
day days week weeks weekend month months year years today tomorrow yesterday tonight morning mornings noon
midday afternoon afternoons evening evenings night time times hour hours minute minutes oclock am pm next
last first second third fourth fifth early earlier earliest late later latest soon sooner soonest now
fortnight
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
seventeen eighteen nineteen twenty thirty forty fifty sixty hundred thousand half quarter
appointment appointments doctor doctors gp nurse surgery practice clinic slot slots reception receptionist
prescription repeat review test tests blood check results vaccine vaccination jab flu shot booster smear
number phone name address date birth emergency urgent
pain ache hurt hurts sick ill fever cough cold throat chest head back stomach ear ears eye eyes skin leg legs
arm arms foot feet hand hands tooth teeth heart knee shoulder neck nose rash
good great fine bad best better worse any anything anyone anybody some something someone somebody nothing
nobody everything everyone every all only just also too very really quite still again already maybe perhaps
always often even ever own owner open over oven other another same new old young little big small long short
free available possible actually probably definitely exactly absolutely
more less much many most few lot lots bit way thing things stuff kind sort able glad happy wrong ready
um uh er erm hmm oh ah like
green gray grey white black brown red blue
"""

_CALENDAR = frozenset([*WEEKDAYS["fr"], *WEEKDAYS["en"], *MONTHS["fr"], *MONTHS["en"]])

COMMON_WORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(_FR.split()) | _CALENDAR,
    "en": frozenset(_EN.split()) | _CALENDAR,
}
"""Everyday words per language ("fr", "en"), with the weekday and month names of both languages."""

TITLE_KINDS: dict[str, str] = {
    **dict.fromkeys("madame mme mademoiselle mlle mrs ms miss dame lady".split(), "f"),
    **dict.fromkeys("monsieur m mr sir gentleman".split(), "m"),
    **dict.fromkeys("docteur docteure doc dr doctor".split(), "dr"),
    **dict.fromkeys("professeur pr professor".split(), "pr"),
    **dict.fromkeys("nurse infirmiere infirmier".split(), "nurse"),
}
"""Titles (as `plain` writes them, the roster's and the callers': "Mme", "la dame", "Doctor") by kind: "f" and "m"
(a woman's, a man's), "dr" (a doctor of either sex), "pr", "nurse"."""
