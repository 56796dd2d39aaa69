"""Builds the demo world from the article: district, streets, communities, people in all roles."""

import random

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from assessments.demo import seed_assessments, seed_exam_prep
from certificates.demo import seed_certificates
from courses.demo import seed_courses
from lms import services
from lms.models import CadreProfile, Membership, Organization, User
from lms.permissions import LECTURERS_GROUP

DEMO_PASSWORD = "Demo@2026"

STREETS = [
    ("jd01", "东湖街道党工委", ["桂花园社区党委", "樱花路社区党委", "滨江社区党委"]),
    ("jd02", "南湖街道党工委", ["新华里社区党委", "南苑社区党委", "晨光社区党委"]),
    ("jd03", "北城街道党工委", ["北关社区党委", "铁路新村社区党委", "锦绣社区党委"]),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "秀英",
    "桂兰",
    "建国",
    "志强",
    "丽娟",
    "海燕",
    "卫东",
    "红梅",
    "玉珍",
    "晓明",
    "静",
    "磊",
    "婷",
    "浩然",
    "思雨",
    "子涵",
    "国庆",
    "淑芬",
    "德华",
    "明辉",
    "雪梅",
    "俊杰",
    "佳怡",
    "文博",
]
LECTURERS = [
    ("lecturer_liu", "刘明远", "某大学公共管理学院教授"),
    ("lecturer_chen", "陈思源", "某大学社会学系副教授"),
    ("lecturer_zhou", "周立新", "市委党校社区治理研究专家"),
    ("lecturer_he", "何晓燕", "资深社会工作督导、社工机构负责人"),
    ("lecturer_sun", "孙志刚", "街道综治中心主任、网格化管理实务骨干"),
]

# (position, member_type, party_status, birth-year range, education, qualification, years)
CADRE_KINDS = [
    ("committee_member", "retired", "full", (1950, 1962), "senior_high", "none", (5, 20)),
    ("grid_worker", "floating", "full", (1975, 1990), "junior_college", "none", (1, 6)),
    ("committee_member", "in_service", "full", (1970, 1992), "bachelor", "none", (1, 5)),
    ("social_worker", "staff", "non_member", (1994, 2001), "bachelor", "assistant", (1, 4)),
    (
        "social_worker",
        "staff",
        "probationary",
        (1990, 1998),
        "postgraduate",
        "social_worker",
        (2, 8),
    ),
    ("director", "staff", "full", (1972, 1985), "bachelor", "social_worker", (8, 20)),
    ("deputy", "staff", "full", (1980, 1990), "junior_college", "assistant", (4, 12)),
    ("grid_worker", "staff", "non_member", (1985, 1998), "senior_high", "none", (1, 10)),
]
SECRETARY_KIND = ("secretary", "staff", "full", (1968, 1982), "bachelor", "social_worker", (10, 25))


class Command(BaseCommand):
    help = "Create (or refresh) the demo organizations, people and logins. Safe to run again."

    def handle(self, *args, **options):
        self.rng = random.Random(2026)
        self.mobiles = iter(f"139{n:08d}" for n in range(10_000_001, 20_000_000, 7919))
        with transaction.atomic():
            district = self.organization("qu", "和平区委组织部", "district", None)
            logins = [("平台管理员", "admin", DEMO_PASSWORD)]
            self.platform_admin()
            for code, street_name, communities in STREETS:
                street = self.organization(code, street_name, "street", district)
                secretary = self.person(f"{code}_shuji", self.full_name(), None)
                services.membership_grant(user=secretary, organization=street, role="secretary")
                logins.append((f"{street_name} 书记", secretary.mobile, DEMO_PASSWORD))
                for index, community_name in enumerate(communities, start=1):
                    community = self.organization(
                        f"{code}-sq{index:02d}", community_name, "community", street
                    )
                    logins.append(self.community(community, index))
            for username, name, title in LECTURERS:
                lecturer = self.person(username, name, None)
                lecturer.groups.add(Group.objects.get(name=LECTURERS_GROUP))
                logins.append((f"讲师 · {title}", username, DEMO_PASSWORD))
        self.report(logins)
        seed_courses(stdout=self.stdout)
        seed_assessments(stdout=self.stdout)
        seed_exam_prep(stdout=self.stdout)
        seed_certificates(stdout=self.stdout)

    def organization(self, code, name, level, parent):
        existing = Organization.objects.filter(code=code).first()
        if existing:
            return existing
        return services.organization_create(name=name, code=code, level=level, parent=parent)

    def platform_admin(self):
        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={"name": "平台管理员", "is_superuser": True, "is_staff": True},
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()

    def full_name(self):
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def person(self, username, name, profile_kind):
        mobile = next(self.mobiles)
        user, created = User.objects.get_or_create(
            username=username, defaults={"name": name, "mobile": mobile}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if profile_kind is not None and not hasattr(user, "cadre_profile"):
            self.profile(user, profile_kind)
        return user

    def profile(self, user, kind):
        position, member_type, party, years, education, qualification, service = kind
        CadreProfile.objects.create(
            user=user,
            gender=self.rng.choice(["male", "female"]),
            birth_year=self.rng.randint(*years),
            position=position,
            party_status=party,
            member_type=member_type,
            years_of_service=self.rng.randint(*service),
            education=education,
            qualification=qualification,
            work_unit="市自来水公司" if member_type == "in_service" else "",
        )

    def community(self, community, index):
        """A community: a secretary (also a cadre), two branches with grid groups, seven cadres."""
        code = community.code
        secretary = self.person(f"{code}_shuji", self.full_name(), SECRETARY_KIND)
        services.membership_grant(user=secretary, organization=community, role="secretary")
        services.membership_grant(user=secretary, organization=community, role="cadre")
        branches = []
        for number, label in ((1, "第一党支部"), (2, "第二党支部")):
            branch = self.organization(
                f"{code}-zb{number}", f"{community.name[:-2]}{label}", "branch", community
            )
            self.organization(
                f"{code}-zb{number}-wg1", f"{branch.name}第一网格党小组", "grid", branch
            )
            branches.append(branch)
        for number in range(1, 8):
            kind = CADRE_KINDS[(number + index) % len(CADRE_KINDS)]
            cadre = self.person(f"{code}_ganbu{number}", self.full_name(), kind)
            home = community if number <= 3 else branches[number % 2]
            services.membership_grant(user=cadre, organization=home, role=Membership.Role.CADRE)
        return (f"{community.name} 书记", secretary.mobile, DEMO_PASSWORD)

    def report(self, logins):
        cadres = Membership.objects.filter(role=Membership.Role.CADRE).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {Organization.objects.count()} organizations, {cadres} cadres."
            )
        )
        example = (
            Membership.objects.filter(role="cadre", user__username__contains="ganbu1")
            .select_related("user")
            .first()
        )
        if example:
            logins.insert(1, (f"学员 · {example.user.name}", example.user.mobile, DEMO_PASSWORD))
        self.stdout.write("Demo logins (role / login / password):")
        for role, login, password in logins:
            self.stdout.write(f"  {role:<24} {login:<16} {password}")
