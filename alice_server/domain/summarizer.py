"""End-of-call analysis: summary, sentiment, key topics, personality scores and caller name.

When a call ends, Alice "processes" its transcript into a :class:`CallAnalysis`. The work is
done by a :class:`Summarizer`; the built-in :class:`HeuristicSummarizer` is deterministic (the
same turns always give a byte-identical result, independent of ``PYTHONHASHSEED``), needs no
network and no model, and uses only the standard library. Another implementation (for example
one backed by an LLM) can be plugged in by satisfying the :class:`Summarizer` protocol.

The method, in short (docs/summarizer.md has the full description):

* The transcript is cut into sentences (and over-long sentences into chunks of at most
  ``MAX_SENTENCE_WORDS`` words); each sentence is tokenised into lower-case words per clause.
  ``system`` turns and empty turns are ignored.
* Key topics are the most frequent content words (stop words and conversational fillers
  removed, plurals crudely singularised) and recurring two-word phrases, caller words counting
  double.
* The summary is extractive: sentences are scored by the frequency of their content words,
  re-weighted (caller requests up, pleasantries and agent questions down) and the best one to
  three are shown in transcript order, prefixed with who said them.
* Sentiment comes from a small lexicon over the caller's words, with negation and intensifiers.
* Each of the 13 personality scores starts at 50 and moves by weighted signal rates (signals
  per 100 caller words) and a few bounded "level" features, then is clamped to 0..100.
* The caller name comes from "my name is ...", "this is ..." or "I'm ..." followed by
  capitalised words that are not common English words.

All tables (stop words, lexicons, trait weights) are module-level constants so they can be read
and tuned without touching the code.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from alice_server.domain.traits import PERSONALITY_TRAITS

__all__ = [
    "PERSONALITY_TRAITS",
    "CallAnalysis",
    "HeuristicSummarizer",
    "PersonalityScores",
    "SentimentLabel",
    "Speaker",
    "Summarizer",
    "TranscriptTurn",
]

Speaker = Literal["caller", "agent", "system"]
SentimentLabel = Literal["positive", "neutral", "negative"]


# ---------------------------------------------------------------------------------------------
# Public data types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TranscriptTurn:
    """One turn of a call transcript: who spoke and what they said."""

    speaker: Speaker
    text: str


NEUTRAL_SCORE: Final = 50.0
"""The score of a trait for which the call gave no signal."""


@dataclass(frozen=True, slots=True)
class PersonalityScores:
    """The 13 personality scores of a caller, each 0.0..100.0 rounded to one decimal.

    50.0 means "no signal"; higher means more of the trait.
    """

    openness: float
    conscientiousness: float
    extraversion: float
    agreeableness: float
    neuroticism: float
    formality: float
    directness: float
    detail_orientation: float
    patience: float
    technical_comfort: float
    frustration_level: float
    satisfaction_level: float
    urgency_level: float

    @classmethod
    def neutral(cls) -> PersonalityScores:
        """Scores for a call that gave no signal at all: every trait at 50.0."""
        return cls(*(NEUTRAL_SCORE for _ in PERSONALITY_TRAITS))

    def as_dict(self) -> dict[str, float]:
        """The scores by trait name, keys in :data:`PERSONALITY_TRAITS` order."""
        return {name: float(getattr(self, name)) for name in PERSONALITY_TRAITS}


@dataclass(frozen=True, slots=True)
class ExtractedMemory:
    """A memory worth keeping that a call revealed (the LLM summariser extracts them)."""

    type: str
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class CallAnalysis:
    """What the processing of one call produces."""

    summary: str
    """One to three sentences, at most 600 characters, never empty."""
    sentiment: SentimentLabel
    """The caller's overall sentiment."""
    key_topics: tuple[str, ...]
    """Zero to five short lower-case topics, most prominent first."""
    personality: PersonalityScores
    caller_name: str | None
    """A name the caller gave for themselves, title-cased; None if they gave none."""
    memories: tuple[ExtractedMemory, ...] = ()
    """Memories to store (source process_call); the built-in summariser extracts none."""


class Summarizer(Protocol):
    """Anything that can turn a transcript into a :class:`CallAnalysis`.

    Callers guarantee 1..5000 turns of at most 20,000 characters each; texts may be empty.
    Implementations must ignore ``system`` turns and always return a valid analysis.
    """

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        """Analyse one call's transcript."""
        ...


def _word_list(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``text``, in order (for writing word tables)."""
    return tuple(text.split())


def _word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` as a set (for writing word tables)."""
    return frozenset(text.split())


# ---------------------------------------------------------------------------------------------
# Tunable constants: limits
# ---------------------------------------------------------------------------------------------

SUMMARY_MAX_CHARS: Final = 600
MAX_TOPICS: Final = 5
MAX_SENTENCE_WORDS: Final = 40
"""Sentences longer than this are cut into chunks (at a comma when possible)."""
MIN_CHUNK_CUT_WORDS: Final = 20
"""A long sentence is cut at a comma only once the chunk has at least this many words."""
MIN_CHUNK_REST_WORDS: Final = 10
"""A long sentence is never cut so that fewer than this many words are left for the last chunk."""
NEGATION_WINDOW: Final = 3
"""A lexicon word is negated when a negator is among the 3 words before it (same clause)."""
RATE_MIN_WORDS: Final = 50
"""Signal rates are per 100 caller words, but the word count is floored at this value."""

# ---------------------------------------------------------------------------------------------
# Tunable constants: vocabulary
# ---------------------------------------------------------------------------------------------

STOP_WORDS: Final = _word_set(
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

FILLER_WORDS: Final = _word_set(
    """
    yeah yes yep yup ya ok okay alright um umm uh uhh uhm er erm hmm mm mhm huh ah oh wow like know
    just really gonna wanna gotta kinda sorta actually basically literally honestly anyway anyways
    maybe probably guess mean stuff thing things sure right well hi hello hey bye goodbye thanks
    thank please sorry great good fine nice cool awesome perfect lol haha pretty totally
    definitely exactly absolutely certainly
    """
)
"""Conversational fillers and pleasantry words (never topics, never count as content)."""

LOW_CONTENT_WORDS: Final = _word_set(
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

NUMBER_WORDS: Final = _word_set(
    """
    two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    thousand million
    """
)
"""Spelled-out numbers counted as numbers for detail orientation ("one" is too ambiguous)."""

DATE_WORDS: Final = _word_set(
    """
    january february march april june july august september october november december jan feb
    apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
    """
)
"""Month and weekday names counted as dates ("may" only when followed by a day number)."""

NEGATORS: Final = _word_set(
    "not no never cannot nothing nobody none hardly barely without neither nor"
)
"""Words that negate a following lexicon word; tokens ending in "n't" negate too."""

INTENSIFIERS: Final = _word_set(
    "very really so extremely super totally incredibly absolutely truly highly too"
)
"""Words that multiply the sentiment weight of the next word by ``INTENSIFIER_FACTOR``."""

ABBREVIATIONS: Final = _word_set(
    "mr mrs ms dr st jr sr vs etc e.g i.e a.m p.m approx apt ave inc ltd co dept u.s"
)
"""Words after which a full stop does not end a sentence."""

LEADING_FILLER_RE: Final = re.compile(
    r"^(?:(?:um+|uh+|uhm|erm?|ah+|oh|so|well|okay|ok|yeah|yes|yep|hi|hello|hey|right|alright"
    r"|and|but|actually|basically|anyway)\b[\s,.!?-]*)+",
    re.IGNORECASE,
)
"""Leading filler words removed from a sentence before it is shown or checked for pleasantry."""

# ---------------------------------------------------------------------------------------------
# Tunable constants: sentiment
# ---------------------------------------------------------------------------------------------

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

SENTIMENT_SKIP_NEXT: Final[Mapping[str, frozenset[str]]] = {
    "good": frozenset({"morning", "afternoon", "evening", "night", "day", "one"}),
    "fine": frozenset({"print"}),
}
"""Sentiment words ignored when followed by one of these words ("good morning")."""

INTENSIFIER_FACTOR: Final = 1.5
NEGATED_POSITIVE_FACTOR: Final = 1.0
"""A negated positive word ("not happy") counts as negative with this share of its weight."""
NEGATED_NEGATIVE_FACTOR: Final = 0.5
"""A negated negative word ("not bad") counts as positive with this share of its weight."""
SENTIMENT_DAMPING: Final = 3.0
SENTIMENT_THRESHOLD: Final = 0.2
"""polarity = (pos - neg) / (pos + neg + SENTIMENT_DAMPING); positive/negative beyond +-0.2."""

# ---------------------------------------------------------------------------------------------
# Tunable constants: phrase lexicons
# ---------------------------------------------------------------------------------------------

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

IMPERATIVE_VERBS: Final = _word_set(
    """
    send give tell cancel change add remove update fix email put take make transfer stop switch
    show let call get check book schedule sign mail text drop renew mark move hurry stop
    """
)
"""A caller sentence (not a question) whose first real word is one of these is an imperative."""

IMPERATIVE_SKIP: Final = _word_set("please just so and then now okay ok well um uh yeah")

ACRONYMS: Final = _word_set(
    """
    I OK ASAP PDF VIN DMV USA US ID FAQ LLC ATM SSN DOB EST PST CST MST EDT PDT CDT GPS SUV TV AM
    PM ER IRS HR CEO LOL OMG TXT ZIP APR
    """
)
"""Upper-case words that are not shouting."""

# ---------------------------------------------------------------------------------------------
# Tunable constants: personality
# ---------------------------------------------------------------------------------------------

LEVEL_FEATURES: Final[Mapping[str, tuple[float, float, float]]] = {
    # name: (centre, low clip, high clip) of (value - centre)
    "short_sentences": (9.0, -10.0, 10.0),  # centre - mean words per caller sentence
    "turn_length": (15.0, -10.0, 20.0),  # mean words per caller turn - centre
    "vocabulary_variety": (0.78, -0.15, 0.15),  # moving-average type/token ratio - centre
}
"""Bounded features that are not counts. They are scaled by min(1, caller words / 50)."""

TRAIT_RULES: Final[Mapping[str, tuple[tuple[str, float], ...]]] = {
    "openness": (
        ("questions", 1.5),
        ("openness_words", 6.0),
        ("closed_words", -6.0),
        ("vocabulary_variety", 100.0),
    ),
    "conscientiousness": (
        ("conscientious_words", 6.0),
        ("specifics", 1.5),
        ("careless_words", -6.0),
    ),
    "extraversion": (("turn_length", 1.0), ("exclamations", 4.0), ("chitchat", 6.0)),
    "agreeableness": (("polite", 1.5), ("cooperative", 6.0), ("disagreeable", -7.0)),
    "neuroticism": (("anxiety", 8.0), ("calm", -6.0), ("negative", 1.5)),
    "formality": (("polite", 6.0), ("informal", -6.0), ("contractions", -1.0)),
    "directness": (
        ("direct", 5.0),
        ("imperatives", 5.0),
        ("hedges", -5.0),
        ("short_sentences", 1.5),
    ),
    "detail_orientation": (
        ("numbers", 2.0),
        ("dates", 4.0),
        ("amounts", 4.0),
        ("ids", 6.0),
        ("detail_words", 4.0),
        ("turn_length", 0.5),
    ),
    "patience": (("hurry", -6.0), ("repeated_questions", -8.0), ("patient", 6.0)),
    "technical_comfort": (("tech", 5.0), ("tech_averse", -10.0)),
    "frustration_level": (
        ("negative", 5.0),
        ("frustration_words", 5.0),
        ("caps_words", 5.0),
        ("exclamation_bursts", 6.0),
        ("positive", -2.0),
    ),
    "satisfaction_level": (("satisfaction", 6.0), ("negative", -4.0), ("frustration_words", -3.0)),
    "urgency_level": (("urgency", 8.0), ("calm_pace", -6.0)),
}
"""score = 50 + sum(weight * feature), clamped to 0..100 and rounded to one decimal.

A feature named in LEVEL_FEATURES is a bounded level; every other feature is a rate: its count
per 100 caller words (the word count floored at RATE_MIN_WORDS).
"""

# ---------------------------------------------------------------------------------------------
# Tunable constants: summary and topics
# ---------------------------------------------------------------------------------------------

CALLER_TOPIC_WEIGHT: Final = 2
AGENT_TOPIC_WEIGHT: Final = 1
BIGRAM_BOOST: Final = 1.5
MAX_CONTENT_WORD_CHARS: Final = 30
"""Longer tokens (URLs, noise) are not content words."""
SMALL_CALL_CONTENT_WORDS: Final = 40
"""Below this many content words a single mention can make a topic; otherwise two are needed."""

CALLER_FACTOR: Final = 1.5
REQUEST_FACTOR: Final = 1.6
FIRST_REQUEST_FACTOR: Final = 1.5
"""Extra factor for the caller's first request sentence: usually the reason for the call."""
MIN_CONTENT_NORMALISER: Final = 3
"""Sentence scores are divided by sqrt(max(content words, 3)) so one-word lines do not win."""
RESOLUTION_FACTOR: Final = 1.3
AGENT_QUESTION_FACTOR: Final = 0.5
PLEASANTRY_FACTOR: Final = 0.25
SHORT_SENTENCE_WORDS: Final = 5
SHORT_SENTENCE_FACTOR: Final = 0.5
TOPIC_HIT_BONUS: Final = 0.25
MAX_TOPIC_HITS: Final = 3
REDUNDANCY_JACCARD: Final = 0.5
"""A candidate whose content words overlap a chosen sentence's this much (Jaccard) is skipped."""

NO_CALLER_SUMMARY: Final = "The caller did not say anything."
NO_CONTENT_SUMMARY: Final = "The caller spoke only briefly and made no specific request."

# ---------------------------------------------------------------------------------------------
# Tunable constants: caller name
# ---------------------------------------------------------------------------------------------

NAME_TRIGGER_RE: Final = re.compile(
    r"\b(?:(?P<strong>my\s+name\s+is|my\s+name's|the\s+name\s+is|the\s+name's"
    r"|you\s+can\s+call\s+me)|(?P<weak>this\s+is|i\s+am|i'?m))[ \t]+",
    re.IGNORECASE,
)
"""Phrases after which a caller gives their name. "strong" ones win over "weak" ones."""

NAME_TITLE_RE: Final = re.compile(r"(?:mr|mrs|ms|miss|dr)\.?[ \t]+", re.IGNORECASE)
NAME_TOKEN_RE: Final = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")
MAX_NAME_WORDS: Final = 3

ORGANISATION_WORDS: Final = _word_set(
    """
    insurance agency company co corp corporation inc llc ltd services service group bank office
    department hospital clinic motors realty construction associates partners solutions
    plumbing roofing electric dental law shop store restaurant school church
    """
)
"""Words that reveal a business rather than a person ("this is Acme Roofing")."""

COMMON_NON_NAMES: Final = _word_set(
    """
    calling fine good sorry here trying looking having wondering interested okay ok great glad
    happy still really pretty new back going getting worried concerned afraid ready done home
    retired married single moving driving currently also actually the a an about regarding from
    with just not so well sure hoping wanting thinking concerning in on at to for of my your his
    her our their that this it there what who why how where when which out over up down off away
    gonna sick tired confused frustrated upset angry returning following reaching checking
    waiting working staying living leaving selling buying renting monday tuesday wednesday
    thursday friday saturday sunday today tomorrow yesterday mister miss mrs ms mr dr sir maam
    ma'am customer client policyholder owner member patient agent manager supervisor
    representative driver homeowner renter insured husband wife mother father son daughter
    brother sister friend neighbor landlord tenant boss employee
    """
)
"""Capitalised words after "this is"/"I'm" that are not names (added to the stop lists)."""

NAMES_THAT_ARE_WORDS: Final = _word_set("will may guy")
"""First names that are also stop words; capitalised after a trigger they are taken as names."""


# ---------------------------------------------------------------------------------------------
# Derived tables (built once at import)
# ---------------------------------------------------------------------------------------------

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
CONTRACTIONS_WITH_S: Final = _word_set(
    "it's that's what's there's here's he's she's who's where's how's let's"
)
NO_SINGULAR: Final = _word_set(
    """
    news series species always perhaps whereas texas kansas arkansas christmas canvas atlas alias
    bias lens thanks means sometimes overseas
    """
)
IES_TO_IE: Final = _word_set(
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


def _tokenize(text: str) -> tuple[str, ...]:
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
            words = _tokenize(phrase.translate(APOSTROPHES))
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


def _lexicon_words() -> frozenset[str]:
    """Every word that appears in a lexicon (used to reject non-names)."""
    words: set[str] = set(POSITIVE_WORDS) | set(NEGATIVE_WORDS)
    for phrases in LEXICONS.values():
        for phrase in phrases:
            words.update(_tokenize(phrase.translate(APOSTROPHES)))
    return frozenset(words)


NOT_NAMES: Final = (NON_CONTENT | COMMON_NON_NAMES | _lexicon_words()) - NAMES_THAT_ARE_WORDS
"""Words never taken for a name (month names are allowed: "April", "June")."""


# ---------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sentence:
    """One sentence (or chunk of a long sentence) of a caller or agent turn."""

    position: int
    speaker: Literal["caller", "agent"]
    raw: str
    """The sentence as spoken (whitespace normalised)."""
    text: str
    """As shown in a summary: leading fillers removed, capitalised, punctuated ("..." marks
    where a long sentence was cut)."""
    clauses: tuple[tuple[str, ...], ...]
    """Lower-case words of the original sentence, per clause (negation and phrases stay inside)."""
    matches: Counter[str]
    """Lexicon match counts of the sentence (see LEXICONS)."""
    cues: frozenset[str]
    """Lexicons that matched, with "pleasantry" judged after leading fillers are removed."""
    is_question: bool
    starts: bool
    """False for the second and later chunks of a long sentence."""
    ends: bool
    """False for all but the last chunk of a long sentence."""

    @property
    def word_count(self) -> int:
        """Number of words in the sentence."""
        return sum(len(clause) for clause in self.clauses)


def _split_sentences(text: str) -> list[str]:
    """Split a turn into sentences at line breaks and at ``.``/``!``/``?`` followed by a space.

    A full stop after a known abbreviation ("Mr.", "a.m.") does not end a sentence.
    """
    sentences: list[str] = []
    for line in LINE_SPLIT_RE.split(text):
        line = SPACE_RE.sub(" ", line).strip()
        if not SENTENCE_END_RE.search(line):
            if line:
                sentences.append(line)
            continue
        start = 0
        for match in SENTENCE_END_RE.finditer(line):
            before = line[start : match.start()].rsplit(" ", 1)[-1].lower().lstrip("(\"'")
            if match.group().strip().rstrip("\"')]") == "." and before in ABBREVIATIONS:
                continue
            piece = line[start : match.end()].strip()
            if piece:
                sentences.append(piece)
            start = match.end()
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


def _chunk_sentence(sentence: str) -> list[str]:
    """Cut a sentence of more than ``MAX_SENTENCE_WORDS`` words into chunks of similar size.

    With n = ceil(words / MAX_SENTENCE_WORDS) chunks, each chunk is about words / n long: it
    ends at a word ending in a comma/semicolon/colon once it has ``MIN_CHUNK_CUT_WORDS`` words,
    and in any case at the target size (unpunctuated speech-to-text output needs this); but no
    cut leaves fewer than ``MIN_CHUNK_REST_WORDS`` words behind.
    """
    words = sentence.split(" ")
    if len(words) <= MAX_SENTENCE_WORDS:
        return [sentence]
    pieces = -(-len(words) // MAX_SENTENCE_WORDS)
    target = -(-len(words) // pieces)
    chunks: list[str] = []
    current: list[str] = []
    for index, word in enumerate(words):
        current.append(word)
        if len(words) - index - 1 < MIN_CHUNK_REST_WORDS:
            continue
        at_clause_end = len(current) >= MIN_CHUNK_CUT_WORDS and word.endswith((",", ";", ":"))
        if at_clause_end or len(current) >= target:
            chunks.append(" ".join(current))
            current = []
    if current:
        chunks.append(" ".join(current))
    return chunks


def _display_text(chunk: str, starts: bool, ends: bool) -> str:
    """A chunk as shown in a summary (leading fillers already removed).

    A sentence start is capitalised and a sentence end gets a full stop if it has no end
    mark; a chunk cut from the middle of a long sentence is marked with "..." instead.
    """
    text = chunk.strip().rstrip(" ,;:-")
    if not text:
        return text
    if not starts:
        text = "..." + text
    elif text[0].islower():
        text = text[0].upper() + text[1:]
    if not ends:
        return text + "..."
    return text if text[-1] in ".!?\"')" else text + "."


def _clauses(sentence: str) -> tuple[tuple[str, ...], ...]:
    """The lower-case words of a sentence, grouped by clause (split at , ; : dashes)."""
    clauses = (_tokenize(part) for part in CLAUSE_SPLIT_RE.split(sentence))
    return tuple(clause for clause in clauses if clause)


def _is_negated(clause: Sequence[str], index: int) -> bool:
    """Whether a negator occurs within ``NEGATION_WINDOW`` words before ``clause[index]``."""
    for word in clause[max(0, index - NEGATION_WINDOW) : index]:
        if word in NEGATORS or word.endswith("n't"):
            return True
    return False


def _match_lexicons(clauses: Iterable[Sequence[str]]) -> Counter[str]:
    """Count lexicon matches in the clauses: at most one per lexicon per starting word.

    A one-word phrase of a negatable lexicon is skipped when it is negated. Words inside a
    longer counted phrase do not start other phrases.
    """
    counts: Counter[str] = Counter()
    for clause in clauses:
        index = 0
        while index < len(clause):
            if clause[index] in PHRASE_INDEX:
                index += _match_at(clause, index, counts)
            else:
                index += 1
    return counts


def _match_at(clause: Sequence[str], index: int, counts: Counter[str]) -> int:
    """Count the phrases starting at ``clause[index]``; return how many words they cover.

    The caller continues after the longest counted phrase, so the words inside it start
    nothing ("thanks again" is not also "again"; "make sure" is not also "sure").
    """
    matched: set[str] = set()
    negated: bool | None = None
    covered = 1
    for group in PHRASE_INDEX[clause[index]]:
        size = group.size
        found = group.lexicons_by_words.get(tuple(clause[index : index + size]))
        if found is None:
            continue
        for lexicon in found:
            if lexicon in matched:
                continue
            if size == 1 and lexicon not in NON_NEGATABLE_LEXICONS:
                if negated is None:
                    negated = _is_negated(clause, index)
                if negated:
                    continue
            matched.add(lexicon)
            counts[lexicon] += 1
            covered = max(covered, size)
    return covered


def _make_sentence(
    position: int, speaker: Literal["caller", "agent"], chunk: str, starts: bool, ends: bool
) -> _Sentence | None:
    """Tokenise and annotate one sentence (or chunk); None if it has no words.

    "pleasantry" is judged on the sentence without its leading fillers, so that
    "Hi, I need to add a car" is a request, not a greeting.
    """
    clauses = _clauses(chunk)
    if not clauses:
        return None
    matches = _match_lexicons(clauses)
    cues = set(matches)
    stripped = LEADING_FILLER_RE.sub("", chunk) if starts else chunk
    if stripped != chunk:
        cues.discard("pleasantry")
        if "pleasantry" in _match_lexicons(_clauses(stripped)):
            cues.add("pleasantry")
    return _Sentence(
        position=position,
        speaker=speaker,
        raw=chunk,
        text=_display_text(stripped.strip() or chunk, starts, ends),
        clauses=clauses,
        matches=matches,
        cues=frozenset(cues),
        is_question=ends and chunk.rstrip("\"')] ").endswith("?"),
        starts=starts,
        ends=ends,
    )


def _build_sentences(turns: Sequence[TranscriptTurn]) -> list[_Sentence]:
    """Cut the caller and agent turns into sentences; system and empty turns are dropped."""
    sentences: list[_Sentence] = []
    for turn in turns:
        speaker = turn.speaker
        if speaker != "caller" and speaker != "agent":
            continue
        for raw in _split_sentences(turn.text.translate(APOSTROPHES)):
            chunks = _chunk_sentence(raw)
            for index, chunk in enumerate(chunks):
                starts, ends = index == 0, index == len(chunks) - 1
                sentence = _make_sentence(len(sentences), speaker, chunk, starts, ends)
                if sentence is not None:
                    sentences.append(sentence)
    return sentences


# ---------------------------------------------------------------------------------------------
# Content words and key topics
# ---------------------------------------------------------------------------------------------


def _singular(word: str) -> str:
    """Crude lemmatisation: strip a possessive "'s" and a plural "s"/"es"/"ies".

    Only plurals are handled ("policies" -> "policy", "boxes" -> "box", "claims" -> "claim");
    words ending in "ss", "us" or "is" and a short exception list are left alone.
    """
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3 or word in NO_SINGULAR or not word.endswith("s"):
        return word
    if word.endswith("ies"):
        return word[:-1] if word in IES_TO_IE or len(word) <= 4 else word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


def _content_lemma(word: str, excluded: frozenset[str]) -> str | None:
    """The lemma of a content word, or None for stop words, fillers, numbers and names.

    Content words have 3 to 30 characters, at least one letter-only spelling (no digits) and
    no apostrophe left after removing a possessive "'s".
    """
    if word in NON_CONTENT:
        return None
    lemma = _singular(word)
    if (
        not 3 <= len(lemma) <= MAX_CONTENT_WORD_CHARS
        or "'" in lemma
        or lemma in NON_CONTENT
        or lemma in excluded
        or any(ch.isdigit() for ch in lemma)
    ):
        return None
    return lemma


@dataclass(slots=True)
class _TermCounts:
    """Weighted and raw occurrence counts of content lemmas and adjacent lemma pairs."""

    unigram_weight: Counter[str]
    unigram_raw: Counter[str]
    bigram_weight: Counter[str]
    bigram_raw: Counter[str]
    content_words: int


def _sentence_lemmas(
    sentence: _Sentence, excluded: frozenset[str], memo: dict[str, str | None]
) -> tuple[list[str], list[str]]:
    """Content lemmas of a sentence, and bigrams of content lemmas adjacent within a clause.

    ``memo`` caches :func:`_content_lemma` per word for the duration of one analysis.
    """
    lemmas: list[str] = []
    bigrams: list[str] = []
    for clause in sentence.clauses:
        previous: str | None = None
        for word in clause:
            if word in memo:
                lemma = memo[word]
            else:
                lemma = memo[word] = _content_lemma(word, excluded)
            if lemma is not None:
                lemmas.append(lemma)
                if previous is not None and previous != lemma:
                    bigrams.append(f"{previous} {lemma}")
            previous = lemma
    return lemmas, bigrams


def _count_terms(
    sentences: Sequence[_Sentence], lemmas: Mapping[int, tuple[list[str], list[str]]]
) -> _TermCounts:
    """Count content lemmas and bigrams; caller words weigh double, agent pleasantries nothing.

    Agent sentences with a pleasantry ("Thank you for calling <agency>") are skipped so that
    greeting boilerplate does not become a topic.
    """
    counts = _TermCounts(Counter(), Counter(), Counter(), Counter(), 0)
    for sentence in sentences:
        if sentence.speaker == "agent" and "pleasantry" in sentence.cues:
            continue
        weight = CALLER_TOPIC_WEIGHT if sentence.speaker == "caller" else AGENT_TOPIC_WEIGHT
        words, pairs = lemmas[sentence.position]
        counts.content_words += len(words)
        for word in words:
            counts.unigram_weight[word] += weight
            counts.unigram_raw[word] += 1
        for pair in pairs:
            counts.bigram_weight[pair] += weight
            counts.bigram_raw[pair] += 1
    return counts


def _select_topics(counts: _TermCounts) -> tuple[str, ...]:
    """Pick up to ``MAX_TOPICS`` topics, most prominent first, ties broken alphabetically.

    Bigrams that occur at least twice are candidates with ``BIGRAM_BOOST`` times their weight;
    their occurrences are subtracted from their two words, whose remaining counts make the
    unigram candidates (at least two mentions, or one in a small call). A unigram that is part
    of an already chosen bigram is skipped; a bigram replaces its words chosen before it.
    """
    min_mentions = 1 if counts.content_words < SMALL_CALL_CONTENT_WORDS else 2
    uni_weight = Counter(counts.unigram_weight)
    uni_raw = Counter(counts.unigram_raw)
    candidates: list[tuple[float, str]] = []
    for pair in sorted(counts.bigram_raw):
        if counts.bigram_raw[pair] < 2:
            continue
        candidates.append((counts.bigram_weight[pair] * BIGRAM_BOOST, pair))
        for word in pair.split(" "):
            uni_weight[word] = max(0, uni_weight[word] - counts.bigram_weight[pair])
            uni_raw[word] = max(0, uni_raw[word] - counts.bigram_raw[pair])
    for word in sorted(uni_raw):
        if uni_raw[word] >= min_mentions and uni_weight[word] > 0:
            candidates.append((float(uni_weight[word]), word))
    candidates.sort(key=lambda item: (-item[0], item[1]))

    chosen: list[str] = []
    for _, term in candidates:
        if len(chosen) == MAX_TOPICS:
            break
        words = term.split(" ")
        if len(words) == 1:
            if not any(term in c.split(" ") for c in chosen if " " in c):
                chosen.append(term)
            continue
        parts = [c for c in chosen if c in words]
        if parts:
            chosen[chosen.index(parts[0])] = term
            chosen = [c for c in chosen if c not in parts[1:]]
        else:
            chosen.append(term)
    return tuple(chosen)


# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scored:
    """A sentence with its summary score and the set of its content lemmas."""

    score: float
    sentence: _Sentence
    lemmas: frozenset[str]


def _score_sentence(
    sentence: _Sentence,
    terms: tuple[list[str], list[str]],
    word_weight: Mapping[str, float],
    topics: Sequence[str],
    first_request: bool,
) -> float:
    """Score a sentence for the extractive summary.

    Base: the sum of the weights of its distinct content lemmas (square root of the lemma's
    frequency relative to the most frequent one, so one very frequent word does not dominate)
    divided by sqrt(max(number of lemmas, 3)). Factors: caller sentence x1.5; caller request
    ("I need", "I'm calling about") x1.6, and x1.5 more for the caller's first request; agent
    action ("I've added", "you'll receive") x1.3; agent question x0.5; pleasantry x0.25; fewer
    than 5 words x0.5; and +25% per key topic mentioned (at most 3).
    """
    lemmas, bigrams = terms
    distinct = set(lemmas)
    if not distinct:
        return 0.0
    score = sum(word_weight.get(lemma, 0.0) for lemma in sorted(distinct))
    score /= math.sqrt(max(len(distinct), MIN_CONTENT_NORMALISER))
    if sentence.speaker == "caller":
        score *= CALLER_FACTOR
        if "request" in sentence.cues:
            score *= REQUEST_FACTOR
        if first_request:
            score *= FIRST_REQUEST_FACTOR
    else:
        if "resolution" in sentence.cues:
            score *= RESOLUTION_FACTOR
        if sentence.is_question:
            score *= AGENT_QUESTION_FACTOR
    if "pleasantry" in sentence.cues:
        score *= PLEASANTRY_FACTOR
    if sentence.word_count < SHORT_SENTENCE_WORDS:
        score *= SHORT_SENTENCE_FACTOR
    hits = sum(1 for t in topics if (t in bigrams if " " in t else t in distinct))
    return score * (1.0 + TOPIC_HIT_BONUS * min(hits, MAX_TOPIC_HITS))


def _summary_size(sentence_count: int) -> int:
    """How many sentences the summary takes: 1 for up to 4, 2 for up to 12, else 3."""
    if sentence_count <= 4:
        return 1
    return 2 if sentence_count <= 12 else 3


def _render(sentences: Sequence[_Sentence]) -> str:
    """Join sentences in transcript order, prefixing each run of one speaker with its label.

    Two consecutive chunks of one long sentence are joined back without their "..." marks.
    """
    parts: list[str] = []
    previous: _Sentence | None = None
    for sentence in sorted(sentences, key=lambda s: s.position):
        if (
            previous is not None
            and not previous.ends
            and sentence.position == previous.position + 1
        ):
            parts[-1] = f"{parts[-1].removesuffix('...')} {sentence.text.removeprefix('...')}"
        elif previous is None or sentence.speaker != previous.speaker:
            parts.append(f"{sentence.speaker.capitalize()}: {sentence.text}")
        else:
            parts.append(sentence.text)
        previous = sentence
    return " ".join(parts)


def _trim(text: str, limit: int = SUMMARY_MAX_CHARS) -> str:
    """Trim ``text`` to ``limit`` characters on a word boundary, ending with "..." if cut.

    Only when the last space is in the first half (a giant "word") is the text cut mid-word.
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 3]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "..."


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two sets (0.0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _choose_sentences(ranked: Sequence[_Scored], size: int) -> list[_Sentence]:
    """Greedily take the best sentences, skipping redundant ones and ones that overflow.

    The best caller sentence always comes first (the summary is about the caller's call).
    """
    order = sorted(ranked, key=lambda s: (-s.score, s.sentence.position))
    best_caller = next((s for s in order if s.sentence.speaker == "caller"), None)
    if best_caller is not None:
        order = [best_caller, *(s for s in order if s is not best_caller)]
    chosen: list[_Scored] = []
    for candidate in order:
        if len(chosen) == size:
            break
        if any(_jaccard(candidate.lemmas, c.lemmas) >= REDUNDANCY_JACCARD for c in chosen):
            continue
        trial = [c.sentence for c in chosen] + [candidate.sentence]
        if chosen and len(_render(trial)) > SUMMARY_MAX_CHARS:
            continue
        chosen.append(candidate)
    return [c.sentence for c in chosen]


def _summarize(
    sentences: Sequence[_Sentence],
    lemmas: Mapping[int, tuple[list[str], list[str]]],
    counts: _TermCounts,
    topics: Sequence[str],
    caller_spoke: bool,
) -> str:
    """Build the extractive summary (see :func:`_score_sentence` and docs/summarizer.md)."""
    top = max(counts.unigram_weight.values(), default=0)
    weight = {w: math.sqrt(c / top) for w, c in counts.unigram_weight.items()} if top else {}
    first_request = next(
        (
            s.position
            for s in sentences
            if s.speaker == "caller" and "request" in s.cues and lemmas[s.position][0]
        ),
        -1,
    )
    ranked = [
        _Scored(score, s, frozenset(lemmas[s.position][0]))
        for s in sentences
        if (
            score := _score_sentence(
                s, lemmas[s.position], weight, topics, s.position == first_request
            )
        )
        > 0.0
    ]
    if not caller_spoke:
        ranked = [r for r in ranked if r.sentence.speaker == "agent"]
        if not ranked:
            return NO_CALLER_SUMMARY
        best = _choose_sentences(ranked, 1)
        return _trim(f"{NO_CALLER_SUMMARY} {_render(best)}")
    if not ranked:
        return NO_CONTENT_SUMMARY
    return _trim(_render(_choose_sentences(ranked, _summary_size(len(sentences)))))


# ---------------------------------------------------------------------------------------------
# Sentiment
# ---------------------------------------------------------------------------------------------


def _sentiment_weights(clauses: Iterable[Sequence[str]]) -> tuple[float, float]:
    """Sum the positive and negative lexicon weights of the words, with negation.

    An intensifier before a word multiplies its weight by 1.5. A negated positive word counts
    as negative ("not happy"); a negated negative word counts as half positive ("not bad").
    """
    positive = 0.0
    negative = 0.0
    for clause in clauses:
        for index, word in enumerate(clause):
            pos = POSITIVE_WORDS.get(word, 0.0)
            neg = NEGATIVE_WORDS.get(word, 0.0)
            if not pos and not neg:
                continue
            following = clause[index + 1] if index + 1 < len(clause) else ""
            if following in SENTIMENT_SKIP_NEXT.get(word, frozenset()):
                continue
            if index > 0 and clause[index - 1] in INTENSIFIERS:
                pos *= INTENSIFIER_FACTOR
                neg *= INTENSIFIER_FACTOR
            if _is_negated(clause, index):
                pos, neg = neg * NEGATED_NEGATIVE_FACTOR, pos * NEGATED_POSITIVE_FACTOR
            positive += pos
            negative += neg
    return positive, negative


def _sentiment_label(positive: float, negative: float) -> SentimentLabel:
    """Label from polarity = (pos - neg) / (pos + neg + 3): >= 0.2 positive, <= -0.2 negative."""
    polarity = (positive - negative) / (positive + negative + SENTIMENT_DAMPING)
    if polarity >= SENTIMENT_THRESHOLD:
        return "positive"
    if polarity <= -SENTIMENT_THRESHOLD:
        return "negative"
    return "neutral"


# ---------------------------------------------------------------------------------------------
# Personality
# ---------------------------------------------------------------------------------------------


def _moving_type_token_ratio(words: Sequence[str], window: int = 50) -> float:
    """Mean type/token ratio over all windows of ``window`` words (plain TTR if fewer words).

    The moving average makes vocabulary variety comparable between short and long calls.
    """
    if len(words) <= window:
        return len(set(words)) / len(words) if words else 0.0
    counts: dict[str, int] = {}
    for word in words[:window]:
        counts[word] = counts.get(word, 0) + 1
    total = len(counts)
    for index in range(window, len(words)):
        leaving = words[index - window]
        remaining = counts[leaving] - 1
        if remaining:
            counts[leaving] = remaining
        else:
            del counts[leaving]
        entering = words[index]
        counts[entering] = counts.get(entering, 0) + 1
        total += len(counts)
    return total / ((len(words) - window + 1) * window)


def _is_imperative(sentence: _Sentence) -> bool:
    """A non-question whose first word (after "please", "just", fillers) is a command verb."""
    if sentence.is_question:
        return False
    for word in sentence.clauses[0]:
        if word not in IMPERATIVE_SKIP:
            return word in IMPERATIVE_VERBS
    return False


def _count_ids(text: str) -> int:
    """Count reference-like tokens: letters mixed with digits, hyphenated digits, 6+ digits."""
    count = 0
    for match in ID_CANDIDATE_RE.finditer(text):
        token = match.group()
        digits = sum(ch.isdigit() for ch in token)
        letters = sum(ch.isalpha() for ch in token)
        if len(token) >= 5 and digits and (letters or "-" in token or digits >= 6):
            count += 1
    return count


def _count_caps(texts: Sequence[str], words: int) -> int:
    """Count shouted all-caps words, unless the transcript itself is upper-case (ASR style)."""
    caps = [w for t in texts for w in CAPS_WORD_RE.findall(t) if w not in ACRONYMS]
    return 0 if len(caps) * 2 > words else len(caps)


def _count_repeated_questions(sentences: Sequence[_Sentence]) -> int:
    """Count caller questions whose set of content lemmas equals that of an earlier question."""
    seen: set[frozenset[str]] = set()
    repeated = 0
    for sentence in sentences:
        if not sentence.is_question:
            continue
        key = frozenset(
            lemma
            for clause in sentence.clauses
            for word in clause
            if (lemma := _content_lemma(word, frozenset())) is not None
        )
        if not key:
            continue
        if key in seen:
            repeated += 1
        seen.add(key)
    return repeated


def _caller_counts(sentences: Sequence[_Sentence]) -> Counter[str]:
    """Count the rate signals of the caller's sentences (see TRAIT_RULES)."""
    texts = [s.raw for s in sentences]
    words = [w for s in sentences for c in s.clauses for w in c]
    counts: Counter[str] = Counter()
    for sentence in sentences:
        counts.update(sentence.matches)
    joined = "\n".join(texts)
    exclamation_runs = EXCLAMATION_RUN_RE.findall(joined)
    dates = sum(1 for w in words if w in DATE_WORDS) + len(DATE_RE.findall(joined))
    counts.update(
        {
            "questions": sum(1 for s in sentences if s.is_question),
            "imperatives": sum(1 for s in sentences if _is_imperative(s)),
            "contractions": sum(
                1 for w in words if w.endswith(CONTRACTION_SUFFIXES) or w in CONTRACTIONS_WITH_S
            ),
            "numbers": len(NUMBER_RE.findall(joined)) + sum(1 for w in words if w in NUMBER_WORDS),
            "dates": dates,
            "amounts": len(AMOUNT_RE.findall(joined)),
            "ids": _count_ids(joined),
            "caps_words": _count_caps(texts, len(words)),
            "exclamations": len(exclamation_runs),
            "exclamation_bursts": sum(1 for run in exclamation_runs if len(run) > 1),
            "repeated_questions": _count_repeated_questions(sentences),
        }
    )
    counts["specifics"] = counts["numbers"] + counts["dates"] + counts["amounts"] + counts["ids"]
    return counts


def _levels(sentences: Sequence[_Sentence], turns: int, words: Sequence[str]) -> dict[str, float]:
    """The bounded level features, scaled by the evidence factor min(1, words / 50)."""
    centre_len, low_len, high_len = LEVEL_FEATURES["short_sentences"]
    centre_turn, low_turn, high_turn = LEVEL_FEATURES["turn_length"]
    centre_var, low_var, high_var = LEVEL_FEATURES["vocabulary_variety"]
    evidence = min(1.0, len(words) / RATE_MIN_WORDS)
    sentence_length = len(words) / len(sentences)
    turn_length = len(words) / turns
    variety = _moving_type_token_ratio(words)
    return {
        "short_sentences": evidence * _clamp(centre_len - sentence_length, low_len, high_len),
        "turn_length": evidence * _clamp(turn_length - centre_turn, low_turn, high_turn),
        "vocabulary_variety": evidence * _clamp(variety - centre_var, low_var, high_var),
    }


def _clamp(value: float, low: float, high: float) -> float:
    """``value`` limited to ``low..high``."""
    return max(low, min(high, value))


def _personality(
    sentences: Sequence[_Sentence], turns: int, sentiment: tuple[float, float]
) -> PersonalityScores:
    """Score the 13 traits from the caller's sentences (``turns`` non-empty caller turns).

    Every trait starts at 50 and adds weight x feature for its rules in TRAIT_RULES; a rate
    feature is count x 100 / max(caller words, 50); the sum is clamped to 0..100 and rounded.
    """
    words = [w for s in sentences for c in s.clauses for w in c]
    if not words:
        return PersonalityScores.neutral()
    counts = _caller_counts(sentences)
    positive, negative = sentiment
    per_hundred = 100.0 / max(len(words), RATE_MIN_WORDS)
    features: dict[str, float] = {name: count * per_hundred for name, count in counts.items()}
    features["positive"] = positive * per_hundred
    features["negative"] = negative * per_hundred
    features.update(_levels(sentences, turns, words))
    scores: list[float] = []
    for trait in PERSONALITY_TRAITS:
        total = NEUTRAL_SCORE
        for feature, weight in TRAIT_RULES[trait]:
            total += weight * features.get(feature, 0.0)
        scores.append(round(_clamp(total, 0.0, 100.0), 1) + 0.0)
    return PersonalityScores(*scores)


# ---------------------------------------------------------------------------------------------
# Caller name
# ---------------------------------------------------------------------------------------------


def _title(word: str) -> str:
    """Title-case an all-upper or all-lower name part ("LOPEZ" -> "Lopez"); keep mixed case."""
    if word.isupper() or word.islower():
        return re.sub(r"[^\W\d_]+", lambda m: m.group().capitalize(), word.lower())
    return word


def _read_name(text: str, position: int, weak: bool) -> str | None:
    """Read up to three capitalised non-common words starting at ``position``.

    The first word must qualify or there is no name. A possessive ("Maria's") or an
    organisation word ("Roofing") rejects the match. After a weak trigger ("I'm", "this is")
    a first word ending in "ing" is taken for a verb ("I'm Calling").
    """
    title = NAME_TITLE_RE.match(text, position)
    if title is not None:
        position = title.end()
    parts: list[str] = []
    while len(parts) < MAX_NAME_WORDS:
        match = NAME_TOKEN_RE.match(text, position)
        if match is None:
            break
        word = match.group()
        lower = word.lower()
        if not word[0].isupper() or len(word) < 2:
            break
        if lower.endswith("'s") or lower in ORGANISATION_WORDS:
            return None
        if lower in NOT_NAMES or (weak and not parts and lower.endswith("ing") and len(lower) > 5):
            break
        parts.append(_title(word))
        gap = NAME_GAP_RE.match(text, match.end())
        if gap is None:
            break
        position = gap.end()
    return " ".join(parts) if parts else None


def _find_name(texts: Iterable[str]) -> str | None:
    """The first name given after a strong trigger, else the first after a weak trigger."""
    weak_name: str | None = None
    for text in texts:
        for trigger in NAME_TRIGGER_RE.finditer(text):
            weak = trigger.group("weak") is not None
            if weak and weak_name is not None:
                continue
            name = _read_name(text, trigger.end(), weak)
            if name is None:
                continue
            if not weak:
                return name
            weak_name = name
    return weak_name


# ---------------------------------------------------------------------------------------------
# The summariser
# ---------------------------------------------------------------------------------------------


class HeuristicSummarizer:
    """The built-in summariser (the default): deterministic, standard library only.

    It keeps no state; one instance can serve any number of concurrent calls. The
    work is CPU-bound (about 20 ms for 200 turns, over a second for the largest
    transcripts): given an `executor` (the server passes a process pool), `analyze`
    runs it there, so that a long call cannot stall the event loop of every tenant;
    without one it runs in the caller's thread.
    """

    def __init__(self, executor: Executor | None = None) -> None:
        self._executor = executor

    async def analyze(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        """Analyse a call; see :meth:`analyze_sync`."""
        if self._executor is None:
            return self.analyze_sync(turns)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _analyze_in_worker, tuple(turns))

    def analyze_sync(self, turns: Sequence[TranscriptTurn]) -> CallAnalysis:
        """Analyse a call: summary, sentiment, key topics, personality and caller name."""
        sentences = _build_sentences(turns)
        caller = [s for s in sentences if s.speaker == "caller"]
        caller_texts = [t.text.translate(APOSTROPHES) for t in turns if t.speaker == "caller"]
        agent_texts = [t.text.translate(APOSTROPHES) for t in turns if t.speaker == "agent"]
        caller_name = _find_name(caller_texts)
        agent_name = _find_name(agent_texts)
        excluded = frozenset(
            _tokenize(" ".join(n for n in (caller_name, agent_name) if n is not None))
        )
        memo: dict[str, str | None] = {}
        lemmas = {s.position: _sentence_lemmas(s, excluded, memo) for s in sentences}
        counts = _count_terms(sentences, lemmas)
        if not caller:
            summary = _summarize(sentences, lemmas, counts, (), caller_spoke=False)
            return CallAnalysis(summary, "neutral", (), PersonalityScores.neutral(), None)
        topics = _select_topics(counts)
        summary = _summarize(sentences, lemmas, counts, topics, caller_spoke=True)
        positive, negative = _sentiment_weights(c for s in caller for c in s.clauses)
        caller_turns = max(1, sum(1 for t in caller_texts if WORD_RE.search(t)))
        return CallAnalysis(
            summary=summary,
            sentiment=_sentiment_label(positive, negative),
            key_topics=topics,
            personality=_personality(caller, caller_turns, (positive, negative)),
            caller_name=caller_name,
        )


def _analyze_in_worker(turns: tuple[TranscriptTurn, ...]) -> CallAnalysis:
    """The work of `HeuristicSummarizer.analyze` in an executor (a picklable function)."""
    return HeuristicSummarizer().analyze_sync(turns)


def warm_up() -> None:
    """Run in each new worker process, so that the first real call does not pay the imports."""
