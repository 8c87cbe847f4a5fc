"""Tests of the built-in call summariser (alice_server.domain.summarizer).

The transcripts below are invented calls to a small insurance agency; names of people, the
agency and the lender are fictional and phone numbers use the 555 range.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from alice_server.domain.summarizer import (
    FILLER_WORDS,
    PERSONALITY_TRAITS,
    STOP_WORDS,
    CallAnalysis,
    HeuristicSummarizer,
    PersonalityScores,
    Summarizer,
    TranscriptTurn,
)

ROOT = Path(__file__).resolve().parents[1]
SUMMARIZER = HeuristicSummarizer()


def caller(text: str) -> TranscriptTurn:
    return TranscriptTurn("caller", text)


def agent(text: str) -> TranscriptTurn:
    return TranscriptTurn("agent", text)


def system(text: str) -> TranscriptTurn:
    return TranscriptTurn("system", text)


def analyze(turns: Sequence[TranscriptTurn]) -> CallAnalysis:
    return SUMMARIZER.analyze_sync(turns)


# ---------------------------------------------------------------------------------------------
# Transcripts
# ---------------------------------------------------------------------------------------------

AUTO_POLICY_CALL = (
    system("Call connected. Recording enabled."),
    agent("Thank you for calling the agency, this is Dana. How can I help you today?"),
    caller(
        "Hi Dana, yeah, my name is Maria Lopez. I just bought a new truck and I need to add "
        "it to my auto policy."
    ),
    agent("Congratulations on the new truck! I can help with that. Can I get your policy number?"),
    caller(
        "Sure, it's AP-2291-4417. The auto policy is under my name, and my husband is on it too."
    ),
    agent("Thank you. I see the auto policy with two vehicles. What's the year of the truck?"),
    caller("It's a 2021 pickup. The VIN ends in 40417. I picked it up on Saturday."),
    agent(
        "Got it. Do you want the same coverage as your other vehicles, with the $500 deductible?"
    ),
    caller(
        "Yes, same coverage please. And can you email me the new insurance cards? The dealer "
        "needs proof of insurance."
    ),
    agent(
        "Absolutely. I've added the truck to your auto policy effective Saturday, and I'll email "
        "the insurance cards to the address on file within the hour."
    ),
    caller("Perfect. Will my premium go up a lot?"),
    agent("Your premium will go up by about $38 a month. You'll see it on the next bill."),
    caller("Okay, that's fine. Thanks so much for your help."),
    agent("You're welcome, Maria. Have a great day!"),
    caller("You too, bye."),
)

FRUSTRATED_CALL = (
    agent("Thanks for calling, this is Sam. How can I help?"),
    caller(
        "This is the third time I'm calling about my claim and nobody has called me back. "
        "This is ridiculous."
    ),
    agent("I'm sorry to hear that. Can I have your claim number?"),
    caller(
        "I already gave it twice! It's CL-88213. The water damage claim from my kitchen. "
        "I've been waiting three weeks."
    ),
    agent("I see the claim. It's still waiting on the adjuster's report."),
    caller(
        "Still? That's unacceptable. The adjuster came out two weeks ago. Why do I have to keep "
        "calling you people again and again?"
    ),
    agent("I understand. I'll escalate it to the claims manager today."),
    caller(
        "You said that last time. I'm really frustrated and honestly I'm not happy with this "
        "agency at all. How long is this going to take?"
    ),
    agent("I'll call the adjuster myself and call you back by tomorrow at 555-0142."),
    caller(
        "Fine. But if nobody calls me back AGAIN I'm going to cancel everything. This is a "
        "waste of my time!!"
    ),
)

HAPPY_CALL = (
    agent("Good morning, thank you for calling, this is Priya speaking."),
    caller("Good morning! This is John Carter. I just wanted to call and say thank you."),
    agent("Oh, that's so nice. What can I do for you?"),
    caller(
        "The claim for my windshield was paid in two days. I'm so happy, it was so easy and "
        "your team was wonderful."
    ),
    agent("I'm glad to hear that! Is there anything else you need?"),
    caller(
        "Actually yes, I'd love to hear about bundling my home insurance with my auto. I heard "
        "it can save money."
    ),
    agent("It usually does. I can send you a home and auto bundle quote by email this week."),
    caller(
        "That would be great. I really appreciate it, you've been very helpful. Perfect, thanks "
        "again!"
    ),
    agent("My pleasure, John. Have a wonderful day."),
)

URGENT_CALL = (
    agent("Thank you for calling, how can I help?"),
    caller(
        "I need proof of homeowners insurance today, it's urgent. We're closing on the house "
        "this afternoon."
    ),
    agent("I can help. Which lender needs the declarations page?"),
    caller(
        "The lender needs it right now, as soon as possible, or the closing gets delayed. "
        "Please hurry."
    ),
    agent("I'll email the declarations page to the lender immediately."),
    caller("Can you also send me a copy right away? The closing is at 3 p.m."),
)

CALM_CALL = (
    agent("Thanks for calling, how can I help?"),
    caller("Hi, I'd like to update the mailing address on my renters policy. No rush at all."),
    agent("Sure, what's the new address?"),
    caller("It's 12 Elm Street, apartment 4. Whenever you get a chance is fine."),
    agent("Done, the renters policy now shows the new address."),
    caller("Great, thank you."),
)

FORMAL_CALL = (
    agent("Thank you for calling, how may I help you?"),
    caller(
        "Good afternoon. I would like to inquire about the coverage on my umbrella policy, please."
    ),
    agent("Certainly. What would you like to know?"),
    caller(
        "Could you please tell me whether the umbrella policy covers my rental property? I "
        "would appreciate a written answer, if you don't mind."
    ),
    agent("It does, up to the policy limit. I will send you a letter confirming that."),
    caller("Thank you very much, sir. I appreciate your assistance. Good afternoon."),
)

CASUAL_CALL = (
    agent("Thanks for calling, how can I help?"),
    caller(
        "Hey, yeah, so I'm gonna need to, like, switch my car insurance over to my new place, "
        "ya know?"
    ),
    agent("Sure. What's the new address?"),
    caller("Yeah it's over on Maple, I'll text it. Cool if I just do that online? Kinda busy lol."),
    agent("Yes, you can update the garaging address online."),
    caller("Cool, cool. Yep, gonna do that then. Thanks dude, later."),
)

ROOF_CLAIM_CALL = (
    agent("Thank you for calling, this is Alex. How can I help you?"),
    caller(
        "Um, hi. So the storm last night took a bunch of shingles off and there's roof damage "
        "over the garage."
    ),
    agent("I'm sorry to hear that. Is anyone hurt, and is water coming in?"),
    caller(
        "No one's hurt. There's a little water in the garage. I'm worried the roof damage will "
        "get worse if it rains again."
    ),
    agent("Let's start a claim. Can you take photos of the roof damage and the garage ceiling?"),
    caller("Yeah, I took photos this morning. Should I get a roofer to put a tarp on it?"),
    agent(
        "Yes, a temporary tarp is a good idea; keep the receipts. I've opened the claim and an "
        "adjuster will call you within two days."
    ),
    caller("Okay. Do roof claims usually cover the gutters too? Two gutters came down."),
    agent("Gutters damaged by the same storm are usually part of the roof claim."),
    caller("Great, that's a relief. Thank you."),
)

TECH_SAVVY_CALL = (
    agent("Thanks for calling, how can I help?"),
    caller(
        "I tried to upload the PDF of my inspection report to the online portal but the upload "
        "link keeps failing in my browser."
    ),
    agent("Sorry about that. You can also email it to us."),
    caller(
        "Sure, I'll email it. Can you also reset my account password? I can't log in to the app."
    ),
    agent("Done, you'll get a reset link by email."),
)

TECH_AVERSE_CALL = (
    agent("Thanks for calling, how can I help?"),
    caller(
        "I'm not good with computers and I don't have email. Can you mail it to me? A paper "
        "copy, please."
    ),
    agent("Of course, I'll mail a paper copy of your policy today."),
    caller("Thank you, I couldn't figure out that website at all. By mail is best."),
)

IMPATIENT_CALL = (
    agent("Thanks for calling, please hold."),
    caller("I've been on hold forever. How long is the refund going to take?"),
    agent("Let me check the refund status."),
    caller("Come on. How long is the refund going to take? I already asked twice. Hurry up."),
    agent("It was mailed yesterday."),
)

PATIENT_CALL = (
    agent("Thanks for calling, sorry for the wait."),
    caller("No problem, take your time. I'm asking about the refund on my cancelled policy."),
    agent("Let me look. It was mailed yesterday."),
    caller("That's okay, I understand these things take a while. No worries."),
)

ALL_CALLS = (
    AUTO_POLICY_CALL,
    FRUSTRATED_CALL,
    HAPPY_CALL,
    URGENT_CALL,
    CALM_CALL,
    FORMAL_CALL,
    CASUAL_CALL,
    ROOF_CLAIM_CALL,
    TECH_SAVVY_CALL,
    TECH_AVERSE_CALL,
    IMPATIENT_CALL,
    PATIENT_CALL,
)


# ---------------------------------------------------------------------------------------------
# Data types
# ---------------------------------------------------------------------------------------------


def test_trait_names_match_personality_fields_in_order() -> None:
    fields = tuple(f.name for f in dataclasses.fields(PersonalityScores))
    assert fields == PERSONALITY_TRAITS
    assert len(PERSONALITY_TRAITS) == 13


def test_neutral_scores_are_all_fifty_and_as_dict_keeps_trait_order() -> None:
    scores = PersonalityScores.neutral().as_dict()
    assert list(scores) == list(PERSONALITY_TRAITS)
    assert set(scores.values()) == {50.0}


def test_heuristic_summarizer_satisfies_the_protocol() -> None:
    summarizer: Summarizer = HeuristicSummarizer()
    assert callable(summarizer.analyze)


async def test_async_analyze_returns_the_same_as_analyze_sync() -> None:
    assert await SUMMARIZER.analyze(AUTO_POLICY_CALL) == analyze(AUTO_POLICY_CALL)


# ---------------------------------------------------------------------------------------------
# Sentiment and personality
# ---------------------------------------------------------------------------------------------


def test_frustrated_caller_is_negative_and_frustrated() -> None:
    result = analyze(FRUSTRATED_CALL)
    assert result.sentiment == "negative"
    assert result.personality.frustration_level >= 70.0
    assert result.personality.satisfaction_level < 50.0
    assert result.personality.patience < 50.0
    assert result.personality.agreeableness < 50.0


def test_happy_caller_is_positive_and_satisfied() -> None:
    result = analyze(HAPPY_CALL)
    assert result.sentiment == "positive"
    assert result.personality.satisfaction_level >= 70.0
    assert result.personality.frustration_level < 50.0


def test_neutral_business_call_is_not_negative() -> None:
    result = analyze(ROOF_CLAIM_CALL)
    assert result.sentiment != "negative"
    assert result.personality.neuroticism > 50.0  # "I'm worried the roof damage will get worse"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm not happy with how this was handled.", "negative"),
        ("Honestly it's not bad at all, it was great.", "positive"),
        ("This is terrible and I'm really angry.", "negative"),
        ("It was great, really helpful, thank you so much!", "positive"),
        ("I need to update the address on my policy.", "neutral"),
        ("Good morning, I have a question about my bill.", "neutral"),
    ],
)
def test_sentiment_lexicon_with_negation(text: str, expected: str) -> None:
    assert analyze([caller(text)]).sentiment == expected


def test_negated_positive_words_do_not_count_as_satisfaction() -> None:
    negated = analyze([caller("I am not happy, not pleased and not satisfied with the claim.")])
    plain = analyze([caller("I am happy, pleased and satisfied with the claim.")])
    assert negated.sentiment == "negative"
    assert plain.sentiment == "positive"
    assert negated.personality.satisfaction_level < plain.personality.satisfaction_level


def test_urgency_words_raise_urgency() -> None:
    urgent = analyze(URGENT_CALL).personality.urgency_level
    calm = analyze(CALM_CALL).personality.urgency_level
    plain = analyze(AUTO_POLICY_CALL).personality.urgency_level
    assert urgent >= 70.0
    assert calm < 50.0
    assert calm < plain < urgent


def test_formal_caller_scores_above_casual_caller_on_formality() -> None:
    formal = analyze(FORMAL_CALL).personality.formality
    casual = analyze(CASUAL_CALL).personality.formality
    assert formal >= 65.0
    assert casual <= 35.0


def test_technical_comfort_follows_tech_vocabulary() -> None:
    savvy = analyze(TECH_SAVVY_CALL).personality.technical_comfort
    averse = analyze(TECH_AVERSE_CALL).personality.technical_comfort
    assert savvy > 60.0
    assert averse < 40.0


def test_repeated_questions_and_hurry_lower_patience() -> None:
    impatient = analyze(IMPATIENT_CALL).personality.patience
    patient = analyze(PATIENT_CALL).personality.patience
    assert impatient < 40.0
    assert patient > 60.0


def test_numbers_and_reference_numbers_raise_detail_orientation() -> None:
    detailed = analyze(AUTO_POLICY_CALL).personality.detail_orientation
    vague = analyze(CASUAL_CALL).personality.detail_orientation
    assert detailed > 65.0
    assert detailed > vague


def test_only_caller_turns_feed_the_personality() -> None:
    angry_agent = [
        *CALM_CALL,
        agent("This is ridiculous and unacceptable!! I'm so frustrated, hurry, it's URGENT."),
    ]
    assert analyze(angry_agent).personality == analyze(CALM_CALL).personality
    assert analyze(angry_agent).sentiment == analyze(CALM_CALL).sentiment


def test_shouting_counts_but_an_all_caps_transcript_does_not() -> None:
    calm = analyze([caller("I would like to check the status of my claim please.")])
    shouting = analyze([caller("I would like to check the status of my claim NOW. NOT TOMORROW.")])
    all_caps = analyze([caller("I WOULD LIKE TO CHECK THE STATUS OF MY CLAIM PLEASE.")])
    assert shouting.personality.frustration_level > calm.personality.frustration_level
    assert all_caps.personality.frustration_level == calm.personality.frustration_level


EDGE_TRANSCRIPTS = (
    (caller("NO NO NO!!! THIS IS RIDICULOUS!!! AGAIN!!! " * 50),),
    (caller("thanks thanks great perfect wonderful " * 100),),
    (caller("urgent asap immediately right now emergency today " * 100),),
    (caller("hey yeah gonna wanna lol cool ya dude " * 100),),
    (caller("x" * 20_000),),
    (caller("1234567 AB-99812 $1,200 12/01/2024 " * 200),),
)


@pytest.mark.parametrize("turns", [*ALL_CALLS, *EDGE_TRANSCRIPTS])
def test_scores_are_within_range_and_rounded(turns: Sequence[TranscriptTurn]) -> None:
    for name, score in analyze(turns).personality.as_dict().items():
        assert isinstance(score, float), name
        assert 0.0 <= score <= 100.0, name
        assert score == round(score, 1), name


def test_extreme_signals_are_clamped_at_the_bounds() -> None:
    scores = analyze(EDGE_TRANSCRIPTS[0]).personality
    assert scores.frustration_level == 100.0
    assert scores.satisfaction_level == 0.0


# ---------------------------------------------------------------------------------------------
# Key topics
# ---------------------------------------------------------------------------------------------


def test_auto_policy_call_topics_lead_with_the_recurring_bigram() -> None:
    topics = analyze(AUTO_POLICY_CALL).key_topics
    assert "auto policy" in topics[:2]
    assert "truck" in topics
    assert "insurance card" in topics  # "insurance cards" singularised


@pytest.mark.parametrize("turns", ALL_CALLS)
def test_topics_are_short_lower_case_and_free_of_stop_words(
    turns: Sequence[TranscriptTurn],
) -> None:
    topics = analyze(turns).key_topics
    assert len(topics) <= 5
    assert len(set(topics)) == len(topics)
    for topic in topics:
        assert topic == topic.lower()
        words = topic.split(" ")
        assert 1 <= len(words) <= 2
        for word in words:
            assert word not in STOP_WORDS
            assert word not in FILLER_WORDS
            assert word.isalpha() or "-" in word


def test_a_topic_word_is_not_repeated_next_to_its_bigram() -> None:
    topics = analyze(ROOF_CLAIM_CALL).key_topics
    assert "roof damage" in topics
    assert "roof" not in topics
    assert "damage" not in topics
    assert "roof claim" in topics  # "roof claims" and "roof claim" are one lemma


def test_caller_name_is_not_a_topic() -> None:
    topics = analyze([*AUTO_POLICY_CALL, caller("Again, it's Maria, Maria Lopez.")]).key_topics
    assert "maria" not in topics
    assert "lopez" not in topics


def test_topics_ties_are_broken_alphabetically() -> None:
    result = analyze([caller("Zebra, apple, mango."), caller("Mango; zebra; apple.")])
    assert result.key_topics == ("apple", "mango", "zebra")


# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------


def transcript_text(turns: Sequence[TranscriptTurn]) -> str:
    return " ".join(t.text for t in turns if t.speaker != "system")


@pytest.mark.parametrize("turns", ALL_CALLS)
def test_summary_is_short_and_not_the_start_of_the_transcript(
    turns: Sequence[TranscriptTurn],
) -> None:
    summary = analyze(turns).summary
    assert summary.strip()
    assert len(summary) <= 600
    assert summary != transcript_text(turns)[:200]
    assert not summary.startswith(transcript_text(turns)[:30])
    assert "thank you for calling" not in summary.lower()
    assert "thanks for calling" not in summary.lower()
    assert summary.startswith("Caller")  # the note opens with the caller's request


def test_summary_is_a_note_of_the_request_the_outcome_and_the_promises() -> None:
    summary = analyze(AUTO_POLICY_CALL).summary
    assert summary.startswith("Caller wanted to add the new truck to their auto policy.")
    assert "Agent added the truck to their auto policy effective Saturday." in summary
    assert "Agent will email the insurance cards to the address on file within the hour." in summary
    assert summary.endswith("Noted: policy number AP-2291-4417.")


def test_summary_of_urgent_call_keeps_the_opening_request() -> None:
    summary = analyze(URGENT_CALL).summary
    assert summary.startswith("Caller wanted proof of homeowners insurance today.")
    assert "Agent will email the declarations page to the lender immediately." in summary


def test_promises_appear_in_the_note_in_the_order_they_were_made() -> None:
    summary = analyze(FRUSTRATED_CALL).summary
    escalate = summary.index("Agent will escalate it to the claims manager today.")
    assert summary.index("Agent will call the adjuster and call back", escalate) > escalate


def test_a_call_without_request_or_promise_keeps_the_extractive_summary_in_transcript_order() -> (
    None
):
    summary = analyze(IMPATIENT_CALL).summary
    assert summary.startswith("Caller: ")
    text = transcript_text(IMPATIENT_CALL)
    pieces = [p for p in summary.replace("Caller: ", "|").replace("Agent: ", "|").split("|") if p]
    first_sentences = [piece.split(". ")[0].rstrip(".?!") for piece in pieces]
    positions = [text.index(sentence) for sentence in first_sentences]
    assert positions == sorted(positions)


def test_summary_is_trimmed_to_600_characters_on_a_word_boundary() -> None:
    long_sentence = (
        "I need to talk to someone about the hail damage claim on the detached garage because "
        "the adjuster said the hail damage was not covered under the dwelling coverage and "
        "I do not understand why the garage would be treated differently from the house"
    )
    turns = [caller(f"{long_sentence}, case {i}.") for i in range(30)]
    turns += [caller(f"{long_sentence} {long_sentence} {long_sentence}") for _ in range(3)]
    # Many promises: the note is longer than 600 characters before it is trimmed.
    things = "invoice receipt estimate contract brochure checklist agreement quote letter report"
    turns += [agent(f"I'll email you the {thing} today.") for thing in things.split()]
    analysis = analyze(turns)
    summary = analysis.summary
    assert len(analysis.notes.commitments) == 10  # the note was longer before it was cut
    assert 0 < len(summary) <= 600
    note_words = {"caller", "wanted", "agent", "will", "their", "they", "them", "noted"}
    words_of_input = {w.strip(".,").lower() for t in turns for w in t.text.split()} | note_words
    for word in summary.removesuffix("...").split():
        assert word.strip(".,").lower() in words_of_input


def test_giant_single_word_gives_a_bounded_summary_and_no_topics() -> None:
    result = analyze([caller("x" * 20_000)])
    assert 0 < len(result.summary) <= 600
    assert result.key_topics == ()


# ---------------------------------------------------------------------------------------------
# Caller name
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hi, my name is Maria Lopez and I have a question.", "Maria Lopez"),
        ("Hello, this is John. I'm calling about my bill.", "John"),
        ("Hey, I'm Priya, I need to update my address.", "Priya"),
        ("I am Dr. Ahmed Khan.", "Ahmed Khan"),
        ("You can call me Beth.", "Beth"),
        ("MY NAME IS MARIA LOPEZ AND I NEED HELP", "Maria Lopez"),
        ("this is Mrs. O'Brien calling", "O'Brien"),
        ("I'm so sorry. This is Dana Whitfield.", "Dana Whitfield"),
        ("I'm Priya Patel. Actually, my name is Priya Sharma-Patel.", "Priya Sharma-Patel"),
        ("I am John McDonald.", "John McDonald"),
        ("Hi, I\u2019m Tom.", "Tom"),
    ],
)
def test_caller_name_is_extracted(text: str, name: str) -> None:
    assert analyze([caller(text)]).caller_name == name


@pytest.mark.parametrize(
    "text",
    [
        "I'm calling about my claim.",
        "I'm fine, thanks.",
        "This is about my renewal.",
        "This is ridiculous.",
        "This is the third time I've called.",
        "I'm Not Sure what I need.",
        "I'm Calling about the policy.",
        "This is Maria's husband, she asked me to call.",
        "Hi, this is Sunrise Plumbing calling about our business policy.",
        "my name is maria lopez",
        "I'm in Denver this week.",
        "I'm the policyholder and my son drives the car.",
    ],
)
def test_caller_name_is_not_invented(text: str) -> None:
    assert analyze([caller(text)]).caller_name is None


def test_caller_name_comes_from_caller_turns_only() -> None:
    turns = [agent("Hi, this is Dana, my name is Dana Smith."), caller("I need a quote.")]
    assert analyze(turns).caller_name is None
    assert analyze(AUTO_POLICY_CALL).caller_name == "Maria Lopez"
    assert analyze(HAPPY_CALL).caller_name == "John Carter"


# ---------------------------------------------------------------------------------------------
# System turns, empty turns, no caller words
# ---------------------------------------------------------------------------------------------


def test_system_turns_are_ignored_entirely() -> None:
    noisy = [
        system("URGENT: this caller is FRUSTRATED. My name is Bob Stone. Hurry!!"),
        *CALM_CALL,
        system("Transcript ended. Auto policy auto policy auto policy."),
    ]
    assert analyze(noisy) == analyze(CALM_CALL)


def test_empty_and_whitespace_turns_change_nothing() -> None:
    padded = []
    for turn in AUTO_POLICY_CALL:
        padded += [turn, caller(""), caller("   \n\t "), agent(" ")]
    assert analyze(padded) == analyze(AUTO_POLICY_CALL)


@pytest.mark.parametrize(
    "turns",
    [
        [system("Call started."), system("Call ended.")],
        [caller(""), caller("   "), caller("\n\t")],
        [agent("Hello? Is anyone there? I can't hear you."), caller("  "), agent("Goodbye.")],
        [caller("... ?! --")],
    ],
)
def test_no_caller_words_gives_a_valid_neutral_analysis(turns: list[TranscriptTurn]) -> None:
    result = analyze(turns)
    assert result.summary.startswith("The caller did not say anything.")
    assert len(result.summary) <= 600
    assert result.sentiment == "neutral"
    assert result.key_topics == ()
    assert result.personality == PersonalityScores.neutral()
    assert result.caller_name is None


def test_caller_with_only_fillers_gets_a_non_empty_summary() -> None:
    result = analyze([agent("Thanks for calling, how can I help?"), caller("Um. Yes. Okay.")])
    assert result.summary
    assert result.key_topics == ()
    assert result.sentiment == "neutral"


# ---------------------------------------------------------------------------------------------
# Determinism and size
# ---------------------------------------------------------------------------------------------


def test_same_input_gives_identical_output() -> None:
    for turns in ALL_CALLS:
        first = analyze(turns)
        second = HeuristicSummarizer().analyze_sync(list(turns))
        assert first == second
        assert repr(first) == repr(second)


_HASH_SEED_SCRIPT = """
import json, sys
from alice_server.domain.summarizer import HeuristicSummarizer, TranscriptTurn
summarizer = HeuristicSummarizer()
for turns in json.load(sys.stdin):
    print(repr(summarizer.analyze_sync([TranscriptTurn(s, t) for s, t in turns])))
"""


@pytest.mark.parametrize("seed", ["0", "1", "4242"])
def test_output_does_not_depend_on_the_hash_seed(seed: str) -> None:
    calls = [[[t.speaker, t.text] for t in turns] for turns in ALL_CALLS]
    expected = "".join(f"{analyze(turns)!r}\n" for turns in ALL_CALLS)
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    result = subprocess.run(
        [sys.executable, "-c", _HASH_SEED_SCRIPT],
        input=json.dumps(calls),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": path},
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert result.stdout == expected


def test_a_5000_turn_transcript_completes() -> None:
    source = [t for call in ALL_CALLS for t in call if t.speaker != "system"]
    turns = [source[i % len(source)] for i in range(5000)]
    result = analyze(turns)
    assert 0 < len(result.summary) <= 600
    assert 1 <= len(result.key_topics) <= 5
    assert all(0.0 <= s <= 100.0 for s in result.personality.as_dict().values())
