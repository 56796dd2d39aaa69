"""The review state machine of practice logs and claims, the history it keeps and the ledger."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from courses.models import CreditEntry
from lms.models import Notification
from lms.services import membership_grant
from practice import services
from practice.models import Action, PracticeLog, Status

from .conftest import log_fields, submit_log

pytestmark = pytest.mark.django_db


def ledger(cadre):
    return list(CreditEntry.objects.filter(cadre=cadre).values_list("kind", "source", "hours"))


class TestPracticeLogLifecycle:
    def test_submit_return_resubmit_approve_keeps_every_step(self, people):
        """Each transition is a history row with who, what, comment and hours."""
        log = submit_log(people.cadre)
        services.review_decline(item=log, by=people.osmanthus_secretary, comment="请补充照片")
        log.refresh_from_db()
        assert log.status == Status.RETURNED
        services.practice_log_resubmit(log=log, photos=[], **log_fields(place="桂花园社区服务站"))
        services.review_approve(item=log, by=people.osmanthus_secretary)
        log.refresh_from_db()
        assert (log.status, log.place, log.hours_approved) == (
            Status.APPROVED,
            "桂花园社区服务站",
            Decimal("2"),
        )
        steps = [(e.action, e.actor, e.comment, e.hours) for e in log.events.all()]
        assert steps == [
            (Action.SUBMIT, people.cadre, "", Decimal("2")),
            (Action.RETURN, people.osmanthus_secretary, "请补充照片", None),
            (Action.RESUBMIT, people.cadre, "", Decimal("2")),
            (Action.APPROVE, people.osmanthus_secretary, "", Decimal("2")),
        ]

    def test_approval_credits_once_even_when_repeated(self, people):
        """A second approval is refused and the ledger keeps the one practice entry."""
        log = submit_log(people.cadre)
        services.review_approve(item=log, by=people.osmanthus_secretary)
        with pytest.raises(ValidationError):
            services.review_approve(item=log, by=people.east_secretary)
        assert services.review_bulk_approve(items=[log], by=people.east_secretary) == 0
        assert ledger(people.cadre) == [("practice", f"practice:{log.pk}", Decimal("2"))]
        assert log.events.filter(action=Action.APPROVE).count() == 1

    def test_adjusted_hours_are_credited_and_shown(self, people):
        """The reviewer lowers 2 claimed hours to 1.5; the ledger has 1.5."""
        log = submit_log(people.cadre)
        services.review_approve(item=log, by=people.osmanthus_secretary, hours=Decimal("1.5"))
        log.refresh_from_db()
        assert log.hours_approved == Decimal("1.5") and log.hours_adjusted
        assert ledger(people.cadre) == [("practice", f"practice:{log.pk}", Decimal("1.5"))]

    @pytest.mark.parametrize("hours", ["0", "2.5", "1.2", "-1"])
    def test_approved_hours_outside_the_claim_refused(self, people, hours):
        """Approving more than claimed, nothing, or not in half hours is refused."""
        log = submit_log(people.cadre)
        with pytest.raises(ValidationError):
            services.review_approve(item=log, by=people.osmanthus_secretary, hours=Decimal(hours))
        log.refresh_from_db()
        assert log.status == Status.SUBMITTED and not ledger(people.cadre)

    def test_illegal_transitions_refused(self, people):
        """An approved log is locked; a submitted one cannot be resubmitted; returning needs
        a comment; claims cannot be returned, only rejected."""
        log = submit_log(people.cadre)
        with pytest.raises(ValidationError):
            services.practice_log_resubmit(log=log, photos=[], **log_fields())
        with pytest.raises(ValidationError):
            services.review_decline(item=log, by=people.osmanthus_secretary, comment="  ")
        services.review_approve(item=log, by=people.osmanthus_secretary)
        with pytest.raises(ValidationError):
            services.review_decline(item=log, by=people.osmanthus_secretary, comment="再改改")
        with pytest.raises(ValidationError):
            services.practice_log_resubmit(log=log, photos=[], **log_fields(hours=Decimal("8")))
        log.refresh_from_db()
        assert log.status == Status.APPROVED and log.hours == Decimal("2")
        assert log.events.count() == 2

    def test_nobody_reviews_their_own_log(self, people, tree):
        """A secretary who is also a cadre cannot approve their own log."""
        membership_grant(user=people.east_secretary, organization=tree.sakura, role="cadre")
        log = submit_log(people.east_secretary)
        with pytest.raises(ValidationError):
            services.review_approve(item=log, by=people.east_secretary)

    def test_cadre_is_notified_of_return_and_approval(self, people):
        """Returned and approved logs each send the cadre a notification linking to the log."""
        log = submit_log(people.cadre)
        services.review_decline(item=log, by=people.osmanthus_secretary, comment="请补充心得")
        services.practice_log_resubmit(log=log, photos=[], **log_fields())
        services.review_approve(item=log, by=people.osmanthus_secretary)
        notes = list(Notification.objects.filter(user=people.cadre).order_by("pk"))
        assert len(notes) == 2
        assert notes[0].body == "请补充心得"
        assert {n.url for n in notes} == {f"/practice/{log.pk}/"}

    def test_bulk_approval_credits_each_at_its_claimed_hours(self, people):
        """Bulk approval approves pending logs at their own hours and skips the others."""
        first = submit_log(people.cadre, hours=Decimal("1"))
        second = submit_log(people.sakura_cadre, hours=Decimal("3.5"))
        returned = submit_log(people.cadre, hours=Decimal("2"))
        services.review_decline(item=returned, by=people.east_secretary, comment="照片不清楚")
        logs = PracticeLog.objects.filter(pk__in=[first.pk, second.pk, returned.pk])
        assert services.review_bulk_approve(items=logs, by=people.east_secretary) == 2
        assert ledger(people.cadre) == [("practice", f"practice:{first.pk}", Decimal("1"))]
        assert ledger(people.sakura_cadre) == [
            ("practice", f"practice:{second.pk}", Decimal("3.5"))
        ]


class TestExternalClaim:
    def test_approved_claim_credits_external_hours_once(self, people, claim):
        """An approved claim enters the ledger as kind EXTERNAL, once."""
        services.review_approve(item=claim, by=people.east_secretary, hours=Decimal("6"))
        with pytest.raises(ValidationError):
            services.review_approve(item=claim, by=people.east_secretary)
        assert ledger(people.cadre) == [("external", f"external:{claim.pk}", Decimal("6"))]

    def test_rejection_needs_a_reason_and_is_final(self, people, claim):
        """Rejecting without a reason is refused; a rejected claim cannot be approved."""
        with pytest.raises(ValidationError):
            services.review_decline(item=claim, by=people.east_secretary, comment="")
        services.review_decline(item=claim, by=people.east_secretary, comment="证明不清晰")
        with pytest.raises(ValidationError):
            services.review_approve(item=claim, by=people.east_secretary)
        claim.refresh_from_db()
        assert claim.status == Status.REJECTED and not ledger(people.cadre)
        assert [e.action for e in claim.events.all()] == [Action.SUBMIT, Action.REJECT]
