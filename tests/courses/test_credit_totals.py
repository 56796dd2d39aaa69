"""CreditTotal, the ledger's per-cadre yearly sum kept beside it: always equal to the ledger,
rebuilt from it by the migration, exact under concurrent grants."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Max, Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses import services
from courses.models import CreditEntry, CreditTotal
from tests.factories import make_cadre

pytestmark = pytest.mark.django_db

Kind = CreditEntry.Kind


def grant(cadre, source, hours, kind=Kind.ONLINE_COURSE, year=2026):
    return services.credit_grant(
        cadre=cadre, kind=kind, source=source, hours=Decimal(hours), description="课程", year=year
    )


def ledger_sums() -> dict[tuple[int, int], tuple[Decimal, Decimal, object]]:
    """(cadre, year) → (hours, online hours, newest created_at), summed over the ledger."""
    rows = (
        CreditEntry.objects.order_by()
        .values_list("cadre_id", "year")
        .annotate(
            total=Sum("hours"),
            online=Sum("hours", filter=Q(kind__in=CreditTotal.ONLINE_KINDS), default=0),
            latest=Max("created_at"),
        )
    )
    cent = Decimal("0.01")
    return {
        (cadre, year): (Decimal(total).quantize(cent), Decimal(online).quantize(cent), latest)
        for cadre, year, total, online, latest in rows
    }


def kept_totals() -> dict[tuple[int, int], tuple[Decimal, Decimal, object]]:
    """(cadre, year) → (hours, online hours, latest_at), as CreditTotal holds them."""
    return {
        (t.cadre_id, t.year): (t.hours, t.online_hours, t.latest_at)
        for t in CreditTotal.objects.all()
    }


def test_totals_follow_grants_and_reversals_over_years_and_kinds(people):
    """Grants of every kind in two years for two cadres, some reversed: each (cadre, year)
    total, its online part and its newest entry equal the ledger's aggregate."""
    entries = [
        grant(people.cadre, "course:1", "4", Kind.ONLINE_COURSE),
        grant(people.cadre, "test:1", "1.5", Kind.TEST_PASS),
        grant(people.cadre, "class:1", "8", Kind.OFFLINE_CLASS),
        grant(people.cadre, "practice:1", "2.25", Kind.PRACTICE, year=2025),
        grant(people.cadre, "external:1", "6", Kind.EXTERNAL, year=2025),
        grant(people.sakura_cadre, "course:1", "3", Kind.ONLINE_COURSE),
    ]
    grant(people.cadre, "course:1", "99")  # asked again: the first grant stands, nothing added
    services.credit_reverse(entry=entries[0], reason="更正", reversed_by=None)
    services.credit_reverse(entry=entries[0], reason="更正", reversed_by=None)  # a no-op
    services.credit_reverse(entry=entries[4], reason="更正", reversed_by=None)
    assert kept_totals() == ledger_sums()
    this_year = CreditTotal.objects.get(cadre=people.cadre, year=2026)
    assert (this_year.hours, this_year.online_hours) == (Decimal("9.50"), Decimal("1.50"))
    assert CreditTotal.objects.get(cadre=people.cadre, year=2025).hours == Decimal("2.25")


operations = st.lists(
    st.tuples(
        st.sampled_from(["grant", "reverse"]),
        st.integers(min_value=0, max_value=4),  # source number
        st.sampled_from(list(Kind)),
        st.decimals(min_value=Decimal("0.25"), max_value=Decimal("8"), places=2),
        st.sampled_from([2025, 2026]),
        st.booleans(),  # the second cadre
    ),
    max_size=15,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=operations)
def test_any_mix_of_grants_and_reversals_keeps_totals_equal_to_the_ledger(people, operations):
    """Whatever the order of grants and reversals, the totals equal the ledger's sums."""
    CreditEntry.objects.filter(reversal_of__isnull=False).delete()  # protected until then
    CreditEntry.objects.all().delete()
    CreditTotal.objects.all().delete()
    for action, number, kind, hours, year, other in operations:
        cadre = people.sakura_cadre if other else people.cadre
        entry = grant(cadre, f"source:{number}", hours, kind, year)
        if action == "reverse":
            services.credit_reverse(entry=entry, reason="更正", reversed_by=None)
    assert kept_totals() == ledger_sums()


def test_the_rebuild_the_migration_runs_sums_the_ledger(people):
    """`credit_totals_rebuild` (the migration's backfill, also used after bulk inserts) gives
    the totals the services keep, whatever was there before."""
    first = grant(people.cadre, "course:1", "4")
    grant(people.cadre, "class:1", "8", Kind.OFFLINE_CLASS)
    grant(people.cadre, "practice:1", "2.5", Kind.PRACTICE, year=2024)
    grant(people.xinhua_cadre, "test:1", "1", Kind.TEST_PASS)
    services.credit_reverse(entry=first, reason="更正", reversed_by=None)
    kept = kept_totals()
    CreditTotal.objects.filter(cadre=people.cadre).update(hours=0, online_hours=5)
    CreditEntry.objects.bulk_create(  # a bulk writer bypassing the services
        [
            CreditEntry(
                cadre=people.sakura_cadre, kind=Kind.EXTERNAL, source="x:1", hours=3, year=2025
            )
        ]
    )
    assert services.credit_totals_rebuild() == len(kept) + 1
    assert kept_totals() == ledger_sums()
    assert {key: kept_totals()[key] for key in kept} == kept


def test_totals_are_read_by_the_tracking_selectors(people, tree):
    """The organization table's hours come from the totals (one row a cadre and year)."""
    from lms import selectors

    grant(people.cadre, "course:1", "4")
    grant(people.cadre, "class:1", "8", Kind.OFFLINE_CLASS)
    grant(people.cadre, "course:2", "3", year=2025)
    rows = {
        m.user_id: m.year_hours
        for m in selectors.with_year_hours(selectors.organization_cadres(tree.district), 2026)
    }
    assert rows[people.cadre.pk] == Decimal("12")
    assert rows[people.sakura_cadre.pk] == 0


THREADS = 8


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_grants_to_one_cadre_add_up_exactly(tree):
    """Eight threads grant to one cadre at once, the first of the year racing to create the
    total: it ends with the exact sum of the eight grants."""
    if connection.vendor == "sqlite":
        # SQLite allows one writer at a time; the point is PostgreSQL's row lock.
        pytest.skip("concurrent writers need PostgreSQL")
    cadre = make_cadre(tree.branch, username="racer", mobile="13922220000")
    barrier = threading.Barrier(THREADS)
    errors = []

    def worker(number):
        try:
            barrier.wait()
            kind = Kind.ONLINE_COURSE if number % 2 else Kind.PRACTICE
            for round_ in range(3):
                grant(cadre, f"source:{number}-{round_}", f"{number + 1}.25", kind)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    total = CreditTotal.objects.get(cadre=cadre, year=2026)
    assert total.hours == 3 * sum(Decimal(f"{n + 1}.25") for n in range(THREADS))
    assert total.online_hours == 3 * sum(Decimal(f"{n + 1}.25") for n in range(1, THREADS, 2))
    assert kept_totals() == ledger_sums()
