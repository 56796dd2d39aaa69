"""A session as an iCalendar file (RFC 5545), for adding it to a phone's calendar."""

import datetime

from icalendar import Calendar, Event

from .models import OfflineSession

PRODID = "-//cadre-lms//offline sessions//ZH"


def session_calendar(session: OfflineSession, *, url: str, host: str) -> bytes:
    """One VEVENT with a stable UID, times in UTC, the place, and the organizer's notes."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"offline-session-{session.pk}@{host}")
    event.add("dtstamp", datetime.datetime.now(datetime.UTC))
    event.add("dtstart", session.starts_at.astimezone(datetime.UTC))
    event.add("dtend", session.ends_at.astimezone(datetime.UTC))
    event.add("summary", session.title)
    event.add("location", session.place)
    lines = [session.get_kind_display(), session.organization.name]
    if session.lecturer_name:
        lines.append(session.lecturer_name)
    if session.description:
        lines.append(session.description)
    lines.append(url)
    event.add("description", "\n".join(str(line) for line in lines))
    event.add("url", url)
    calendar.add_component(event)
    return calendar.to_ical()
