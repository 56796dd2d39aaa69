"""Django admin for platform admins: the organization tree, people and their roles."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import CadreProfile, Membership, Organization, RosterImport, User


@admin.register(Organization)
class OrganizationAdmin(TreeAdmin):
    form = movenodeform_factory(Organization)
    list_display = ["name", "code", "level"]
    search_fields = ["name", "code"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


class CadreProfileInline(admin.StackedInline):
    model = CadreProfile
    can_delete = False


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    list_display = ["username", "name", "mobile", "is_active", "must_change_password"]
    search_fields = ["username", "name", "mobile"]
    fieldsets = [
        (None, {"fields": ["username", "password", "name", "mobile", "email"]}),
        (_("Access"), {"fields": ["is_active", "must_change_password", "is_superuser", "groups"]}),
    ]
    inlines = [CadreProfileInline, MembershipInline]


@admin.register(RosterImport)
class RosterImportAdmin(admin.ModelAdmin):
    list_display = ["original_name", "organization", "status", "total_rows", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in RosterImport._meta.fields]
