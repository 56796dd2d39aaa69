"""factory_boy factories for people and organizations."""

import factory
from django.contrib.auth.models import Group

from lms.models import CadreProfile, Membership, User
from lms.permissions import LECTURERS_GROUP
from lms.services import membership_grant

PASSWORD = "Test@pass-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"测试用户{n}")
    mobile = factory.Sequence(lambda n: f"137{n:08d}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CadreProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CadreProfile

    user = factory.SubFactory(UserFactory)
    gender = CadreProfile.Gender.FEMALE
    birth_year = 1965
    position = CadreProfile.Position.GRID_WORKER
    party_status = CadreProfile.PartyStatus.FULL
    member_type = CadreProfile.MemberType.RETIRED
    years_of_service = 6
    education = CadreProfile.Education.SENIOR_HIGH


def make_cadre(organization, **user_fields) -> User:
    """A cadre with a profile whose home is `organization`."""
    user = UserFactory(**user_fields)
    CadreProfileFactory(user=user)
    membership_grant(user=user, organization=organization, role=Membership.Role.CADRE)
    return user


def make_secretary(organization, **user_fields) -> User:
    user = UserFactory(**user_fields)
    membership_grant(user=user, organization=organization, role=Membership.Role.SECRETARY)
    return user


def make_lecturer(**user_fields) -> User:
    user = UserFactory(**user_fields)
    user.groups.add(Group.objects.get(name=LECTURERS_GROUP))
    return user
