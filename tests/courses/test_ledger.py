"""The credit-hour ledger: append-only, idempotent grants, reversals, totals that add up."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses import selectors, services
from courses.models import CreditEntry

pytestmark = pytest.mark.django_db

ONLINE = CreditEntry.Kind.ONLINE_COURSE


def grant(cadre, source="course:1", hours="1", kind=ONLINE, year=2026):
    return services.credit_grant(
        cadre=cadre, kind=kind, source=source, hours=Decimal(hours), description="课程", year=year
    )


class TestGrant:
    def test_granting_twice_credits_once(self, people):
        """A second grant for the same source returns the first entry and adds nothing."""
        first = grant(people.cadre)
        second = grant(people.cadre, hours="5")
        assert first.pk == second.pk
        assert CreditEntry.objects.count() == 1
        assert selectors.hours_by_kind(people.cadre, 2026) == {ONLINE: Decimal("1.00")}

    def test_the_database_refuses_a_duplicate_grant(self, people):
        """Even bypassing the service, a second grant of a source is refused by a constraint."""
        grant(people.cadre)
        with pytest.raises(IntegrityError), transaction.atomic():
            CreditEntry.objects.create(
                cadre=people.cadre, kind=ONLINE, source="course:1", hours=1, year=2026
            )

    def test_a_grant_must_be_positive(self, people):
        """Only a reversal may carry negative hours."""
        with pytest.raises(IntegrityError), transaction.atomic():
            CreditEntry.objects.create(
                cadre=people.cadre, kind=ONLINE, source="course:2", hours=-1, year=2026
            )

    def test_same_source_in_another_kind_or_for_another_cadre_counts(self, people):
        """Uniqueness is per cadre, kind and source."""
        grant(people.cadre)
        grant(people.cadre, kind=CreditEntry.Kind.TEST_PASS, hours="0.5")
        grant(people.sakura_cadre)
        assert CreditEntry.objects.count() == 3


class TestReversal:
    def test_reversal_cancels_without_editing(self, people):
        """A reversal is a new negative entry; the original stays untouched."""
        entry = grant(people.cadre, hours="2")
        reversal = services.credit_reverse(entry=entry, reason="重复记录", reversed_by=people.admin)
        entry.refresh_from_db()
        assert entry.hours == Decimal("2.00")
        assert reversal.hours == Decimal("-2.00") and reversal.reversal_of == entry
        assert selectors.hours_by_kind(people.cadre, 2026) == {ONLINE: Decimal("0.00")}

    def test_reversing_twice_is_a_no_op_and_reversals_cannot_be_reversed(self, people):
        """The second reversal returns the first; a reversal itself cannot be reversed."""
        entry = grant(people.cadre)
        first = services.credit_reverse(entry=entry, reason="错误", reversed_by=None)
        assert services.credit_reverse(entry=entry, reason="错误", reversed_by=None) == first
        with pytest.raises(ValueError):
            services.credit_reverse(entry=first, reason="再改", reversed_by=None)
        assert CreditEntry.objects.count() == 2

    def test_a_reversed_source_is_not_granted_again_by_a_rerun(self, people):
        """Re-running the grant after a reversal does not quietly restore the hours."""
        entry = grant(people.cadre)
        services.credit_reverse(entry=entry, reason="撤销", reversed_by=None)
        assert grant(people.cadre) == entry
        assert sum(selectors.hours_by_kind(people.cadre, 2026).values()) == 0


operations = st.lists(
    st.tuples(
        st.sampled_from(["grant", "reverse"]),
        st.integers(min_value=0, max_value=5),  # source number
        st.decimals(min_value=Decimal("0.25"), max_value=Decimal("8"), places=2),
        st.sampled_from([2025, 2026]),
    ),
    max_size=15,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=operations)
def test_yearly_totals_equal_the_sum_of_live_grants(people, operations):
    """Any mix of grants and reversals: each year's total is the sum of unreversed grants."""
    CreditEntry.objects.filter(reversal_of__isnull=False).delete()  # protected until then
    CreditEntry.objects.all().delete()
    expected: dict[tuple[int, int], Decimal] = {}  # (source, year) → hours of the live grant
    granted: dict[int, CreditEntry] = {}
    for action, source, hours, year in operations:
        if action == "grant":
            entry = grant(people.cadre, source=f"course:{source}", hours=hours, year=year)
            if source not in granted:
                granted[source] = entry
                expected[(source, entry.year)] = entry.hours
        elif source in granted:
            entry = granted[source]
            services.credit_reverse(entry=entry, reason="更正", reversed_by=None)
            expected.pop((source, entry.year), None)
    for year in (2025, 2026):
        total = sum(selectors.hours_by_kind(people.cadre, year).values(), Decimal("0"))
        assert total == sum((h for (s, y), h in expected.items() if y == year), Decimal("0"))
