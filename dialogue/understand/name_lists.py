"""The most common first names and surnames: lists, and whether a word is a common first name.

The most frequent first names of people born in France from the 1940s to the 2010s and the most frequent
surnames of France (INSEE), and the same for England and Wales (ONS); accents as written on a civil-status
file. Used to tell a first name from a surname ("Chloé, Petit") and, by `dialogue.understand.common_names`,
as candidates when the recogniser writes a name as other words.
"""

from __future__ import annotations

from functools import lru_cache

from dialogue.understand.text import fold, lang_of

FIRST = {
    "fr": """
    Adam Adèle Adrien Agathe Agnès Alain Albert Alexandra Alexandre Alexis Alice Aline Alix Amandine Amélie Anaïs
    André Andrée Ange Angèle Angélique Anne Annie Anthony Antoine Antonin Apolline Arnaud Arthur Audrey Aurélie
    Aurélien Axel Baptiste Bastien Béatrice Benjamin Benoît Bernard Bernadette Brigitte Bruno Camille Capucine
    Carole Caroline Catherine Cécile Céline Chantal Charles Charlotte Chloé Christian Christiane Christine
    Christophe Claire Clara Claude Claudine Clément Clémence Colette Corinne Damien Daniel Danielle David Delphine
    Denis Denise Didier Dominique Dylan Edith Éléonore Éliane Élise Élodie Éloïse Emma Emmanuel Emmanuelle
    Enzo Éric Estelle Ethan Étienne Eva Évelyne Fabien Fabienne Fabrice Florence Florian Francis Françoise
    François Frédéric Gabriel Gabrielle Gaël Gérard Ghislaine Gilbert Gilles Ginette Guy Hélène Henri Hugo Inès
    Isabelle Jacqueline Jacques Jade Jean Jeanne Jérôme Joël Jordan Joseph Josette Josiane Julie Julien Juliette
    Justine Karine Kevin Laetitia Laura Laurence Laurent Léa Léna Léo Léon Léonie Line Lina Liliane Lionel Lisa
    Louis Louise Luc Lucas Lucie Lucien Lucille Lydie Madeleine Maël Manon Marc Marcel Margaux Marguerite Maria
    Marie Marine Marion Martine Mathilde Mathis Matthieu Maxime Mélanie Michel Michèle Mickaël Mireille Monique
    Muriel Nadine Nathalie Nathan Nicolas Nicole Noah Noël Noémie Odette Olivier Pascal Pascale Patrice Patricia
    Patrick Paul Paulette Pauline Philippe Pierre Quentin Raphaël Raymond Rémi Renée René Robert Roger Romain
    Rose Sacha Sandrine Sarah Serge Simone Sophie Stéphane Stéphanie Suzanne Sylvain Sylvie Théo Thérèse Thierry
    Thomas Timothée Tom Valentin Valérie Véronique Victor Vincent Virginie Xavier Yann Yannick Yvette Yves Zoé
    """,
    "en": """
    Aaron Abigail Adam Aidan Alan Albert Alexander Alfie Alice Alison Amanda Amelia Amy Andrew Angela Ann Anna
    Anne Anthony Archie Arthur Ava Barbara Benjamin Beth Brian Carol Caroline Charles Charlie Charlotte Chloe
    Christine Christopher Claire Daniel David Deborah Dennis Donna Dorothy Edward Eleanor Elizabeth Ella Ellie
    Emily Emma Ethan Evie Frank Freddie Freya George Georgia Gillian Grace Graham Hannah Harper Harriet Harry
    Helen Henry Holly Isabella Isla Isabel Jack Jacob Jake James Jane Jason Jennifer Jessica Joan Joanne John
    Joseph Joshua Julie Karen Kate Katherine Kathleen Keith Kevin Laura Lauren Leo Lewis Lily Linda Lisa Louise
    Lucy Luke Margaret Mark Martin Mary Matthew Megan Mia Michael Michelle Mohammed Muhammad Nathan Nicholas
    Nicola Noah Oliver Olivia Oscar Patricia Paul Peter Philip Poppy Rachel Rebecca Richard Robert Rose Ruby
    Ryan Samuel Sandra Sarah Scott Sharon Sophia Sophie Stephen Steven Susan Thomas Tom Tracey William Zoe
    """,
}
LAST = {
    "fr": """
    Adam André Antoine Arnaud Aubert Aubry Bailly Barbier Baron Barré Barthélemy Benoît Berger Bernard Bertin
    Bertrand Besson Blanc Blanchard Bonnet Boucher Bouchet Boulanger Bourgeois Bouvier Boyer Breton Brun Brunet
    Caron Carpentier Carré Charles Charpentier Chauvin Chevalier Chevallier Clément Colin Collet Collin Cordier
    Cousin Da Silva Daniel David Delaunay Denis Deschamps Dubois Dufour Dumas Dumont Dupont Dupuis Dupuy Durand
    Duval Étienne Fabre Faure Fernandez Fleury Fontaine Fournier François Garcia Garnier Gauthier Gautier Gay
    Gérard Germain Gilbert Gillet Girard Giraud Guérin Guillaume Guillot Guyot Hamon Henry Hervé Hubert Huet
    Humbert Jacob Jacquet Jean Joly Julien Klein Lacroix Lambert Lamy Langlois Laporte Laurent Le Gall Le Goff
    Le Roux Leblanc Lebrun Leclerc Leclercq Lecomte Lefebvre Lefèvre Léger Legrand Lejeune Lemaire Lemaître
    Lemoine Leroux Leroy Lévêque Lopez Louis Lucas Maillard Mallet Marchal Marchand Maréchal Marie Martin
    Martinez Marty Masson Mathieu Ménard Mercier Meunier Meyer Michaud Michel Millet Monnier Moreau Morel Morin
    Moulin Muller Nicolas Noël Olivier Paris Pasquier Payet Pelletier Perez Perret Perrier Perrin Perrot Petit
    Philippe Picard Pichon Pierre Poirier Poulain Prévost Rey Renard Renaud Renault Rémy Richard Rivière Robert
    Robin Roche Rodriguez Roger Rolland Rousseau Roussel Roux Roy Royer Sanchez Schmitt Schneider Simon Tessier
    Thomas Vasseur Vidal Vincent Weber
    """,
    "en": """
    Adams Allen Anderson Bailey Baker Barker Bell Bennett Brown Butler Campbell Carter Chapman Clark Clarke
    Collins Cook Cooper Cox Davies Davis Dixon Edwards Ellis Evans Fisher Foster Gray Green Griffiths Hall
    Harris Harrison Hill Holmes Hughes Hunt Jackson James Jenkins Johnson Jones Kelly Khan King Knight Lee Lewis
    Lloyd Marshall Martin Mason Matthews Miller Mills Mitchell Moore Morgan Morris Murphy Murray Owen Palmer
    Parker Patel Phillips Powell Price Richards Richardson Roberts Robinson Rogers Russell Scott Shaw Simpson
    Smith Stevens Taylor Thomas Thompson Turner Walker Ward Watson White Wilkinson Williams Wilson Wood Wright
    Young
    """,
}


def _split(table: str) -> tuple[str, ...]:
    """The names of one list; "Da Silva" and "Le Gall" stay whole."""
    words = " ".join(table.split()).replace("Da Silva", "Da_Silva").replace("Le ", "Le_").split()
    return tuple(w.replace("_", " ") for w in words)


def first_names(lang: str) -> tuple[str, ...]:
    """The common first names of `lang` ("fr" or "en")."""
    return _split(FIRST[lang])


def surnames(lang: str) -> tuple[str, ...]:
    """The common surnames of `lang` ("fr" or "en")."""
    return _split(LAST[lang])


@lru_cache(maxsize=4)
def _folded_first_names(lang: str) -> frozenset[str]:
    return frozenset(fold(n) for n in first_names(lang))


def is_first_name(word: str, locale: str) -> bool:
    """Whether `word` is a common first name ("chloe", "Jean-Pierre" by its parts), accents and case aside."""
    names = _folded_first_names(lang_of(locale))
    folded = fold(word)
    return folded in names or all(part in names for part in folded.split("-") if part)
