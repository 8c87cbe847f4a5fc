"""Word lists and phrase lexicons (tunable), and the tables derived from them at import:
tokenising regular expressions, the phrase index, the non-content words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


def _word_list(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``text``, in order (for writing word tables)."""
    return tuple(text.split())


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` as a set (for writing word tables)."""
    return frozenset(text.split())


STOP_WORDS: Final = word_set(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can cannot could did do does doing down during each either else
    ever every few for from further had has have having he her here hers herself him himself his
    how however i if in into is it its itself just least less let me might mine more most much
    must my myself neither no nor not of off on once only or other others otherwise our ours
    ourselves out over own per same shall she should since so some such than that the their theirs
    them themselves then there these they this those though through thus to too under until up
    upon us very via was we were what whatever when where whether which while who whom whose why
    will with within without would yet you your yours yourself yourselves also still already
    many lot lots anything something nothing everything someone anyone everyone somebody anybody
    nobody another around away else enough even instead rather quite almost
    """
)
"""Generic English function words (never topics, never count as content)."""


FILLER_WORDS: Final = word_set(
    """
    yeah yes yep yup ya ok okay alright um umm uh uhh uhm er erm hmm mm mhm huh ah oh wow like know
    just really gonna wanna gotta kinda sorta actually basically literally honestly anyway anyways
    maybe probably guess mean stuff thing things sure right well hi hello hey bye goodbye thanks
    thank please sorry great good fine nice cool awesome perfect lol haha pretty totally
    definitely exactly absolutely certainly
    """
)
"""Conversational fillers and pleasantry words (never topics, never count as content)."""


LOW_CONTENT_WORDS: Final = word_set(
    """
    get gets got getting gotten go goes going went gone come comes coming came make makes making
    made take takes taking took taken put puts say says said saying tell tells telling told see
    sees seeing saw seen look looks looking looked think thinks thinking thought want wants
    wanted wanting need needs needed needing give gives giving gave given use used using try tries
    tried trying call calls called calling help helps helped helping ask asks asked asking let
    lets keep kept hold wait talk talking speak speaking work works worked way kind sort bit part
    today tomorrow yesterday tonight now time times day days minute minutes moment second
    seconds hour hours morning afternoon evening night week weeks month months year years back
    waiting waited hear heard chance busy assistance soon possible later ago forever twice
    understand understood figure bunch able wondering
    question questions problem issue number name one two three four five six seven eight nine
    ten eleven twelve twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
    million first last next new old little big long whole couple place person people guy guys
    """
)
"""Generic verbs, adverbs and nouns that carry no topic on their own."""


NUMBER_WORDS: Final = word_set(
    """
    two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    thousand million
    """
)
"""Spelled-out numbers counted as numbers for detail orientation ("one" is too ambiguous)."""


DATE_WORDS: Final = word_set(
    """
    january february march april june july august september october november december jan feb
    apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
    """
)
"""Month and weekday names counted as dates ("may" only when followed by a day number)."""


NEGATORS: Final = word_set(
    "not no never cannot nothing nobody none hardly barely without neither nor"
)
"""Words that negate a following lexicon word; tokens ending in "n't" negate too."""


INTENSIFIERS: Final = word_set(
    "very really so extremely super totally incredibly absolutely truly highly too"
)
"""Words that multiply the sentiment weight of the next word by ``INTENSIFIER_FACTOR``."""


ABBREVIATIONS: Final = word_set(
    "mr mrs ms dr st jr sr vs etc e.g i.e a.m p.m approx apt ave inc ltd co dept u.s"
)
"""Words after which a full stop does not end a sentence."""


LEADING_FILLER_RE: Final = re.compile(
    r"^(?:(?:um+|uh+|uhm|erm?|ah+|oh|so|well|okay|ok|yeah|yes|yep|hi|hello|hey|right|alright"
    r"|and|but|actually|basically|anyway)\b[\s,.!?-]*)+",
    re.IGNORECASE,
)
"""Leading filler words removed from a sentence before it is shown or checked for pleasantry."""


POSITIVE_WORDS: Final[Mapping[str, float]] = {
    **dict.fromkeys(
        _word_list(
            """
        good great excellent perfect wonderful awesome fantastic amazing happy glad pleased love
        loved lovely helpful appreciate appreciated nice easy relieved satisfied friendly smooth
        best beautiful pleasure excited grateful thrilled superb outstanding brilliant terrific
        """
        ),
        1.0,
    ),
    **dict.fromkeys(_word_list("thanks thank fine resolved fair"), 0.5),
}
"""Caller words that signal positive sentiment, with their weight."""


NEGATIVE_WORDS: Final[Mapping[str, float]] = {
    **dict.fromkeys(
        _word_list(
            """
        bad terrible awful horrible worst angry upset mad furious frustrated frustrating annoyed
        annoying disappointed disappointing ridiculous unacceptable unhappy hate hated ignored
        rude useless incompetent nightmare outrageous poor unfair stupid mess hassle pathetic
        disgusted disgusting livid dissatisfied
        """
        ),
        1.0,
    ),
    **dict.fromkeys(_word_list("confused confusing worried wrong tired shocked sick"), 0.5),
}
"""Caller words that signal negative sentiment, with their weight."""


LEXICONS: Final[Mapping[str, tuple[str, ...]]] = {
    # Personality signals (caller turns only).
    "polite": (
        "please", "thank you", "thanks", "sir", "ma'am", "madam", "would you", "could you",
        "may i", "appreciate", "kindly", "excuse me", "pardon", "i apologize", "if you don't mind",
        "good morning", "good afternoon", "good evening", "you're welcome",
    ),
    "informal": (
        "hey", "yeah", "yep", "yup", "nope", "nah", "gonna", "wanna", "gotta", "kinda", "sorta",
        "ya", "y'all", "cool", "lol", "dude", "whatever", "ain't", "cuz", "omg", "btw", "yo",
        "no biggie", "stuff",
    ),
    "direct": (
        "i need", "i want", "i expect", "i demand", "give me", "tell me", "send me",
        "bottom line", "get to the point", "just do", "i'm asking",
    ),
    "hedges": (
        "maybe", "perhaps", "possibly", "i guess", "i think", "i suppose", "kind of", "sort of",
        "i was wondering", "if possible", "if that's okay", "not sure", "probably", "might",
    ),
    "detail_words": (
        "exactly", "specifically", "precisely", "particular", "the number is", "reference",
        "itemized", "breakdown", "total", "per month", "per year", "each",
    ),
    "hurry": (
        "hurry", "already", "again", "still waiting", "how long", "how much longer",
        "been waiting", "on hold", "waiting forever", "waste of time", "wasting my time",
        "come on", "seriously", "quickly", "just tell me", "any faster", "taking forever",
        "taking so long",
    ),
    "patient": (
        "take your time", "no rush", "no hurry", "no problem", "that's okay", "that's fine",
        "no worries", "whenever", "i can wait", "i understand", "i'll hold", "i can hold",
    ),
    "tech": (
        "app", "apps", "online", "portal", "email", "e-mail", "emailed", "website", "password",
        "upload", "uploaded", "download", "downloaded", "account", "login", "log in", "logged in",
        "pdf", "browser", "link", "username", "screenshot", "scan", "scanned", "attachment",
        "attach", "attached", "click", "e-sign", "esign", "electronically", "digital", "autopay",
        "auto-pay", "wifi", "laptop", "smartphone", "text message", "texted", "dashboard",
    ),
    "tech_averse": (
        "not good with computers", "not good with technology", "not very good with computers",
        "don't have email", "don't have an email", "don't do email", "don't use the internet",
        "don't have a computer", "don't know how to", "couldn't figure out", "can't figure out",
        "too complicated", "fax", "paper copy", "mail it", "by mail", "in the mail",
        "print it out",
    ),
    "frustration_words": (
        "again", "still", "ridiculous", "unacceptable", "how many times", "every time",
        "fed up", "sick of", "sick and tired", "waste of time", "wasting my time", "nobody",
        "no one", "never", "supposed to", "you people", "unbelievable", "are you kidding",
        "come on", "seriously",
    ),
    "satisfaction": (
        "thanks", "thank you", "thanks again", "thank you again", "great", "perfect",
        "appreciate", "helpful", "wonderful", "excellent", "awesome", "fantastic", "amazing",
        "glad", "happy", "pleased", "love", "that works", "sounds good", "that helps",
        "relieved", "good news", "you're the best", "made my day", "you've been",
    ),
    "urgency": (
        "urgent", "urgently", "asap", "as soon as possible", "immediately", "right now",
        "right away", "today", "tonight", "emergency", "by tomorrow", "this morning",
        "this afternoon", "time sensitive", "time-sensitive", "can't wait", "quickly", "hurry",
        "need it now", "deadline", "expires", "expiring", "expired", "before it's too late",
        "end of the day",
    ),
    "calm_pace": (
        "no rush", "no hurry", "not urgent", "whenever", "when you get a chance", "sometime",
        "next month", "no big rush", "not in a hurry",
    ),
    "openness_words": (
        "what if", "curious", "options", "option", "alternatives", "alternative", "wondering",
        "interested", "tell me more", "explain", "compare", "other ways", "how does",
        "recommend", "suggest", "suggestions", "possibilities", "open to", "learn",
    ),
    "closed_words": (
        "not interested", "keep it the same", "keep everything the same", "leave it as is",
        "same as last year", "don't need anything", "no thanks", "don't want to change",
    ),
    "conscientious_words": (
        "make sure", "confirm", "confirmation", "double check", "double-check", "on time",
        "deadline", "reminder", "remind", "due date", "in writing", "receipt", "for my records",
        "my records", "documentation", "paperwork", "ahead of time", "in advance", "planning",
        "organized", "verify", "just to be sure", "just to be safe", "to be sure",
    ),
    "careless_words": (
        "forgot", "forget", "lost", "missed", "no idea", "don't remember", "can't remember",
        "not sure where", "whatever", "didn't read", "didn't check", "didn't realize",
    ),
    "chitchat": (
        "how are you", "how's your day", "how is your day", "haha", "ha ha", "lol",
        "by the way", "weather", "weekend", "funny", "my kids", "my husband", "my wife",
        "vacation", "i love", "excited", "fun", "guess what", "you know what",
    ),
    "cooperative": (
        "sure", "of course", "sounds good", "absolutely", "no problem", "that's fine",
        "i understand", "makes sense", "you're right", "happy to", "certainly", "agreed",
        "works for me", "that works", "fair enough", "go ahead",
    ),
    "disagreeable": (
        "no way", "that's wrong", "wrong", "you people", "whatever", "i don't care",
        "ridiculous", "unacceptable", "refuse", "demand", "not fair", "incompetent", "useless",
        "stupid", "shut up", "let me speak to", "manager", "supervisor", "not paying",
    ),
    "anxiety": (
        "worried", "worry", "worrying", "anxious", "anxiety", "nervous", "afraid", "scared",
        "stress", "stressed", "stressful", "concerned", "panic", "panicking", "freaking out",
        "overwhelmed", "terrified", "frightened", "upset", "what if", "can't sleep",
        "what happens if", "nightmare",
    ),
    "calm": (
        "calm", "relaxed", "no worries", "not worried", "no big deal", "not a big deal",
        "all good", "it happens", "no stress",
    ),
    # Structural markers used by the summary (all turns).
    "pleasantry": (
        "hello", "hi", "hey there", "good morning", "good afternoon", "good evening",
        "thank you for calling", "thanks for calling", "how can i help", "how may i help",
        "how can i assist", "how may i assist", "what can i do for you", "have a great day",
        "have a good day", "have a nice day", "have a good one", "have a great weekend",
        "have a good weekend", "anything else", "you're welcome", "you are welcome", "goodbye",
        "bye", "take care", "thank you", "thanks", "my pleasure", "how are you",
        "nice to meet you", "talk to you later",
    ),
    "request": (
        "i need", "i want", "i'd like", "i would like", "i'm calling", "i am calling",
        "calling about", "calling to", "calling because", "i was wondering", "wondering if",
        "can you", "could you", "i have a question", "question about", "i'm trying to",
        "i am trying to", "looking to", "i'm looking", "help me", "i had an", "i had a",
        "i've been", "need to", "want to", "how do i", "how much",
    ),
    "resolution": (
        "i've", "i have", "i will", "i'll", "we'll", "we will", "has been", "is now",
        "you'll receive", "you will receive", "you'll get", "you should", "i can",
        "i just", "i went ahead", "all set", "is done", "updated", "added", "sent",
        "scheduled", "processed", "submitted",
    ),
}  # fmt: skip
"""Phrase lexicons; a phrase is matched on whole words within one clause.

Single-word phrases of the personality lexicons are skipped when negated ("not worried").
At one position a lexicon counts at most once, so overlapping entries do not double count.
"""


NON_NEGATABLE_LEXICONS: Final = frozenset({"pleasantry", "request", "resolution"})


IMPERATIVE_VERBS: Final = word_set(
    """
    send give tell cancel change add remove update fix email put take make transfer stop switch
    show let call get check book schedule sign mail text drop renew mark move hurry stop
    """
)
"""A caller sentence (not a question) whose first real word is one of these is an imperative."""


IMPERATIVE_SKIP: Final = word_set("please just so and then now okay ok well um uh yeah")


ACRONYMS: Final = word_set(
    """
    I OK ASAP PDF VIN DMV USA US ID FAQ LLC ATM SSN DOB EST PST CST MST EDT PDT CDT GPS SUV TV AM
    PM ER IRS HR CEO LOL OMG TXT ZIP APR
    """
)
"""Upper-case words that are not shouting."""


WORD_RE: Final = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
CLAUSE_SPLIT_RE: Final = re.compile(r"[,;:()\[\]\"]+|\s[-\u2013\u2014]+\s|\u2014|\u2013")
SENTENCE_END_RE: Final = re.compile(r"[.!?]+[\"')\]]*(?:\s+|$)")
LINE_SPLIT_RE: Final = re.compile(r"[\r\n]+")
SPACE_RE: Final = re.compile(r"\s+")
NAME_GAP_RE: Final = re.compile(r"[ \t]+")
NUMBER_RE: Final = re.compile(r"\d+(?:[.,:]\d+)*")


AMOUNT_RE: Final = re.compile(
    r"\$\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:dollars?|bucks|cents|percent\b|%)",
    re.IGNORECASE,
)


DATE_RE: Final = re.compile(
    r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}(?:st|nd|rd|th)\b|\bmay\s+\d{1,2}\b",
    re.IGNORECASE,
)


ID_CANDIDATE_RE: Final = re.compile(r"\b[A-Za-z-]*\d[A-Za-z0-9-]*")
CAPS_WORD_RE: Final = re.compile(r"(?<![\w'-])[A-Z]{3,}(?![\w'-])")
EXCLAMATION_RUN_RE: Final = re.compile(r"[!?]*![!?]*")
APOSTROPHES: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
CONTRACTION_SUFFIXES: Final = ("n't", "'re", "'ve", "'ll", "'d", "'m")


CONTRACTIONS_WITH_S: Final = word_set(
    "it's that's what's there's here's he's she's who's where's how's let's"
)


NO_SINGULAR: Final = word_set(
    """
    news series species always perhaps whereas texas kansas arkansas christmas canvas atlas alias
    bias lens thanks means sometimes overseas
    """
)


IES_TO_IE: Final = word_set(
    "movies cookies calories rookies selfies zombies goodies brownies pies ties lies dies"
)


TOPIC_EXCLUDED_LEXICONS: Final = (
    "polite",
    "informal",
    "hedges",
    "satisfaction",
    "cooperative",
    "urgency",
    "calm_pace",
    "anxiety",
    "calm",
)
"""Single words of these lexicons (and all sentiment words) are tone, not topic."""


def _tone_words() -> frozenset[str]:
    """The one-word entries of TOPIC_EXCLUDED_LEXICONS plus every sentiment lexicon word."""
    words = set(POSITIVE_WORDS) | set(NEGATIVE_WORDS)
    for lexicon in TOPIC_EXCLUDED_LEXICONS:
        words.update(p for p in LEXICONS[lexicon] if " " not in p)
    return frozenset(words)


NON_CONTENT: Final = STOP_WORDS | FILLER_WORDS | LOW_CONTENT_WORDS | NUMBER_WORDS | _tone_words()


def tokenize(text: str) -> tuple[str, ...]:
    """Lower-case words of ``text``: letters/digits, keeping inner apostrophes and hyphens."""
    return tuple(WORD_RE.findall(text.lower()))


@dataclass(frozen=True, slots=True)
class _PhraseGroup:
    """The lexicon phrases of one length that start with one word."""

    size: int
    lexicons_by_words: Mapping[tuple[str, ...], tuple[str, ...]]


def _build_phrase_index(
    lexicons: Mapping[str, tuple[str, ...]],
) -> dict[str, tuple[_PhraseGroup, ...]]:
    """Index every lexicon phrase by its first word and length, longest first.

    Matching is then one pass over the words: at each word, one dictionary look-up per phrase
    length that starts with it. Lexicon tuples are sorted, so nothing depends on hashing.
    """
    owners: dict[tuple[str, ...], set[str]] = {}
    for lexicon, phrases in lexicons.items():
        for phrase in phrases:
            words = tokenize(phrase.translate(APOSTROPHES))
            if words:
                owners.setdefault(words, set()).add(lexicon)
    grouped: dict[tuple[str, int], dict[tuple[str, ...], tuple[str, ...]]] = {}
    for words in sorted(owners):
        grouped.setdefault((words[0], len(words)), {})[words] = tuple(sorted(owners[words]))
    index: dict[str, list[_PhraseGroup]] = {}
    for (first, size), table in sorted(grouped.items(), key=lambda item: (item[0][0], -item[0][1])):
        index.setdefault(first, []).append(_PhraseGroup(size, table))
    return {first: tuple(groups) for first, groups in index.items()}


PHRASE_INDEX: Final = _build_phrase_index(LEXICONS)
