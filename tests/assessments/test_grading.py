"""Graders: each question type marked against its snapshot, the exam's partial-credit rule."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments import grading
from assessments.grading import GRADERS, InvalidAnswer, Rule

EXAM = Rule(multiple_exam_rule=True, partial_points_per_option=Decimal("0.5"))
ALL = Rule()
TWO = Decimal("2")


def choice(type, correct_ids, ids=(11, 12, 13, 14, 15)):
    """A snapshot of a choice question with these option ids."""
    return {
        "type": type,
        "options": [{"id": i, "text": str(i), "correct": i in correct_ids} for i in ids],
        "answers": [],
    }


MULTI = choice("multiple", {11, 12, 13})


class TestExamRule:
    """The social-work exam: any wrong option → 0, incomplete → 0.5 per right option chosen."""

    @pytest.mark.parametrize(
        ("chosen", "score"),
        [
            ([11, 12, 13], "2"),  # all right options: full marks
            ([11], "0.5"),  # one of three
            ([11, 13], "1.0"),  # two of three
            ([11, 12, 13, 14], "0"),  # all right plus a wrong one
            ([14], "0"),  # only a wrong one
            ([11, 15], "0"),  # a right and a wrong
            ([], "0"),  # no answer
        ],
    )
    def test_marks(self, chosen, score):
        """Each case of the rule, on a 2-point question with three right options."""
        assert GRADERS["multiple"].grade(MULTI, chosen, TWO, EXAM) == Decimal(score)

    def test_partial_never_exceeds_the_points(self):
        """Four right options chosen of five, at 0.5 each on a 1.5-point question → 1.5."""
        snapshot = choice("multiple", {11, 12, 13, 14, 15})
        assert GRADERS["multiple"].grade(
            snapshot, [11, 12, 13, 14], Decimal("1.5"), EXAM
        ) == Decimal("1.5")

    def test_points_per_option_is_the_quiz_setting(self):
        """A province paying 0.4 per option gets 0.8 for two of three."""
        rule = Rule(multiple_exam_rule=True, partial_points_per_option=Decimal("0.4"))
        assert GRADERS["multiple"].grade(MULTI, [11, 12], TWO, rule) == Decimal("0.8")

    def test_all_or_nothing(self):
        """Without the exam rule an incomplete answer scores nothing."""
        assert GRADERS["multiple"].grade(MULTI, [11, 12], TWO, ALL) == 0
        assert GRADERS["multiple"].grade(MULTI, [11, 12, 13], TWO, ALL) == TWO

    @given(chosen=st.sets(st.sampled_from([11, 12, 13, 14, 15])))
    def test_rule_by_property(self, chosen):
        """For any choice: 0 with a wrong option, else 0.5 × right chosen, 2 when complete."""
        score = GRADERS["multiple"].grade(MULTI, sorted(chosen), TWO, EXAM)
        if chosen & {14, 15} or not chosen:
            assert score == 0
        elif chosen == {11, 12, 13}:
            assert score == TWO
        else:
            assert score == Decimal("0.5") * len(chosen)


class TestChoices:
    def test_single_right_and_wrong(self):
        """A single choice scores its points only for the right option."""
        snapshot = choice("single", {12})
        assert GRADERS["single"].grade(snapshot, [12], Decimal(1), ALL) == 1
        assert GRADERS["single"].grade(snapshot, [11], Decimal(1), ALL) == 0
        assert GRADERS["single"].grade(snapshot, None, Decimal(1), ALL) == 0

    def test_clean_refuses_options_not_shown(self):
        """An option id of another question, or junk, is refused."""
        snapshot = choice("single", {12})
        with pytest.raises(InvalidAnswer):
            GRADERS["single"].clean(snapshot, ["99"])
        with pytest.raises(InvalidAnswer):
            GRADERS["single"].clean(snapshot, ["abc"])

    def test_single_takes_one_option(self):
        """Two options for a single choice are refused; empty values are ignored."""
        snapshot = choice("true_false", {11}, ids=(11, 12))
        with pytest.raises(InvalidAnswer):
            GRADERS["true_false"].clean(snapshot, ["11", "12"])
        assert GRADERS["true_false"].clean(snapshot, ["", "12"]) == [12]

    def test_multiple_clean_sorts_and_dedupes(self):
        """The response is the sorted set of option ids."""
        assert GRADERS["multiple"].clean(MULTI, ["13", "11", "13", ""]) == [11, 13]


class TestTyped:
    SNAPSHOT = {"type": "fill_blank", "options": [], "answers": ["司法所", "Community Center"]}

    @pytest.mark.parametrize(
        "typed", ["司法所", " 司法所 ", "community  center", "ＣＯＭＭＵＮＩＴＹ center"]
    )
    def test_blank_accepts_variants(self, typed):
        """Spaces, case and full-width letters do not matter."""
        response = GRADERS["fill_blank"].clean(self.SNAPSHOT, [typed])
        assert GRADERS["fill_blank"].grade(self.SNAPSHOT, response, Decimal(1), ALL) == 1

    def test_the_typed_value_wins_over_a_placeholder(self):
        """A page posting an empty placeholder before the text box saves the text."""
        assert GRADERS["fill_blank"].clean(self.SNAPSHOT, ["", "司法所"]) == "司法所"
        assert GRADERS["essay"].clean(self.SNAPSHOT, ["", "我的回答"]) == "我的回答"

    def test_blank_wrong(self):
        """Another word scores nothing."""
        assert GRADERS["fill_blank"].grade(self.SNAPSHOT, "居委会", Decimal(1), ALL) == 0

    def test_essay_is_marked_by_hand(self):
        """An essay has no automatic mark, and an over-long answer is refused."""
        snapshot = {"type": "essay", "options": [], "answers": []}
        assert GRADERS["essay"].grade(snapshot, "答案", Decimal(5), ALL) is None
        assert GRADERS["essay"].manual
        with pytest.raises(InvalidAnswer):
            GRADERS["essay"].clean(snapshot, ["字" * (grading.ESSAY_MAX_CHARS + 1)])

    def test_case_takes_no_answer_itself(self):
        """A case's scenario is answered through its parts."""
        with pytest.raises(InvalidAnswer):
            GRADERS["case"].clean({"type": "case"}, ["x"])
