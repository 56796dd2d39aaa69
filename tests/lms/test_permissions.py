"""The permission module scopes secretaries to their subtree and nothing else."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from lms import permissions

pytestmark = pytest.mark.django_db


class TestSubtreeScoping:
    def test_street_secretary_manages_every_organization_below(self, tree, people):
        """A street secretary sees the street, its communities and their branches."""
        managed = set(permissions.managed_organizations(people.east_secretary))
        assert managed == {tree.east, tree.osmanthus, tree.sakura, tree.branch}

    def test_street_secretary_does_not_manage_sibling_street_or_parent(self, tree, people):
        """Neither the sibling street, its communities, nor the district above are in scope."""
        for organization in (tree.south, tree.xinhua, tree.district):
            assert not permissions.can_manage_organization(people.east_secretary, organization)

    def test_community_secretary_does_not_manage_sibling_community(self, tree, people):
        """Scope ends at the community: the neighbouring community is out of reach."""
        assert permissions.can_manage_organization(people.osmanthus_secretary, tree.branch)
        assert not permissions.can_manage_organization(people.osmanthus_secretary, tree.sakura)
        assert not permissions.can_manage_organization(people.osmanthus_secretary, tree.east)

    def test_visible_cadres_follow_the_subtree(self, people):
        """Cadres of the branch and the sibling community: visible to the street secretary only."""
        east = set(permissions.visible_cadres(people.east_secretary))
        assert east == {people.cadre, people.sakura_cadre}
        assert set(permissions.visible_cadres(people.osmanthus_secretary)) == {people.cadre}
        assert set(permissions.visible_cadres(people.south_secretary)) == {people.xinhua_cadre}

    def test_two_memberships_cover_both_subtrees_once(self, tree, people):
        """Nested memberships collapse to the outer one; separate ones add up."""
        from lms.services import membership_grant

        secretary = people.osmanthus_secretary
        membership_grant(user=secretary, organization=tree.branch, role="secretary")
        membership_grant(user=secretary, organization=tree.xinhua, role="admin")
        secretary = type(secretary).objects.get(pk=secretary.pk)  # drop the cached paths
        assert permissions.managed_paths(secretary) == (tree.osmanthus.path, tree.xinhua.path)
        assert set(permissions.visible_cadres(secretary)) == {people.cadre, people.xinhua_cadre}


class TestObjectAccess:
    def test_outside_the_subtree_is_404(self, tree, people):
        """Organizations and cadres outside the subtree raise Http404, not a permission error."""
        with pytest.raises(Http404):
            permissions.organization_or_404(people.east_secretary, tree.south.pk)
        with pytest.raises(Http404):
            permissions.cadre_or_404(people.east_secretary, people.xinhua_cadre.pk)
        assert permissions.cadre_or_404(people.east_secretary, people.cadre.pk) == people.cadre

    def test_cadre_sees_only_themself(self, people):
        """A cadre may view their own record and no one else's."""
        assert permissions.can_view_cadre(people.cadre, people.cadre)
        assert not permissions.can_view_cadre(people.cadre, people.sakura_cadre)
        assert not permissions.is_manager(people.cadre)

    def test_platform_admin_sees_everything(self, tree, people):
        """The platform admin manages every organization and sees every cadre."""
        assert permissions.can_manage_organization(people.admin, tree.xinhua)
        assert permissions.managed_organizations(people.admin).count() == 7
        assert permissions.visible_cadres(people.admin).count() == 3

    def test_anonymous_sees_nothing(self, tree, people):
        """An anonymous visitor manages nothing and sees no cadre."""
        anonymous = AnonymousUser()
        assert not permissions.is_manager(anonymous)
        assert not permissions.can_view_cadre(anonymous, people.cadre)
        assert not permissions.managed_organizations(anonymous).exists()

    def test_only_lecturers_and_admins_reach_the_cms(self, people):
        """Lecturers and platform admins may enter the Wagtail admin; cadres and secretaries not."""
        assert permissions.can_access_cms(people.lecturer)
        assert permissions.can_access_cms(people.admin)
        assert not permissions.can_access_cms(people.cadre)
        assert not permissions.can_access_cms(people.east_secretary)

    def test_bad_ids_are_404(self, people):
        """Unknown or malformed ids answer 404."""
        with pytest.raises(Http404):
            permissions.organization_or_404(people.admin, 999999)
        with pytest.raises(Http404):
            permissions.cadre_or_404(people.admin, "x")
