"""Planning a month (the pure function): fair counts, deterministic ties, days off, weekdays
only, never two juniors together, a less technical person paired with a technical one, and
team-per-period rotas."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date

from zabota.rotas.planning import Person, check_day, plan_month

PEOPLE = [Person(1, name="Alice"), Person(2, name="Dave"), Person(3, name="Erik"), Person(4, name="Fay")]


def counts(plan_days: dict[date, list[int]]) -> Counter[int]:
    return Counter(a for ids in plan_days.values() for a in ids)


def test_one_person_a_day_is_fair_within_one_shift() -> None:
    plan = plan_month(year=2026, month=3, people=PEOPLE)

    assert len(plan.days) == 31
    assert all(len(ids) == 1 for ids in plan.days.values())
    got = counts(plan.days)
    assert max(got.values()) - min(got.values()) <= 1
    assert plan.warnings == []


def test_whoever_had_fewest_shifts_this_year_goes_first_and_ties_are_deterministic() -> None:
    plan = plan_month(year=2026, month=3, people=PEOPLE, counts={1: 5, 2: 5, 3: 0, 4: 1})

    first_days = [plan.days[date(2026, 3, d)][0] for d in range(1, 4)]
    # Erik (0) first; then Erik and Fay tie at 1 and Fay, who was on support longer ago, goes.
    assert first_days == [3, 4, 3]
    again = plan_month(year=2026, month=3, people=PEOPLE, counts={1: 5, 2: 5, 3: 0, 4: 1})
    assert again.days == plan.days
    totals = Counter({1: 5, 2: 5, 3: 0, 4: 1}) + counts(plan.days)
    assert max(totals.values()) - min(totals.values()) <= 1


def test_weekdays_only_leaves_weekends_empty() -> None:
    plan = plan_month(year=2026, month=3, people=PEOPLE, weekdays_only=True)

    assert all(day.weekday() < 5 for day in plan.days)
    assert len(plan.days) == 22


def test_nobody_is_planned_on_a_day_off() -> None:
    off = {1: {date(2026, 3, d) for d in range(1, 16)}}
    plan = plan_month(year=2026, month=3, people=PEOPLE, days_off=off)

    assert not [d for d, ids in plan.days.items() if 1 in ids and d in off[1]]
    assert 1 in {a for d, ids in plan.days.items() if d.day > 15 for a in ids}


def test_never_two_juniors_together() -> None:
    people = [Person(1, junior=True), Person(2, junior=True), Person(3), Person(4)]
    plan = plan_month(year=2026, month=3, people=people, people_per_shift=2)

    assert all(not (1 in ids and 2 in ids) for ids in plan.days.values())
    got = counts(plan.days)
    assert max(got.values()) - min(got.values()) <= 1
    assert plan.warnings == []


def test_a_less_technical_person_is_paired_with_a_technical_one() -> None:
    people = [Person(1, technical=False), Person(2, technical=False), Person(3), Person(4)]
    plan = plan_month(year=2026, month=3, people=people, people_per_shift=2)

    assert all(any(a in (3, 4) for a in ids) for ids in plan.days.values())


def test_when_no_pairing_keeps_the_rules_the_fairest_is_taken_with_a_warning() -> None:
    people = [Person(1, junior=True), Person(2, junior=True)]
    plan = plan_month(year=2026, month=3, people=people, people_per_shift=2)

    assert plan.days[date(2026, 3, 1)] == [1, 2]
    assert any("Two juniors" in w for w in plan.warnings)


def test_too_few_free_people_gives_a_smaller_shift_and_a_warning() -> None:
    off = {2: {date(2026, 3, 2)}}
    plan = plan_month(year=2026, month=3, people=PEOPLE[:2], people_per_shift=2, days_off=off)

    assert plan.days[date(2026, 3, 2)] == [1]
    assert any("only 1 of 2" in w for w in plan.warnings)


def test_a_team_per_fortnight_stays_together_for_the_period() -> None:
    plan = plan_month(
        year=2026, month=3, people=PEOPLE, people_per_shift=2, one_per_day=False, period_days=14
    )

    assert {tuple(plan.days[date(2026, 3, d)]) for d in range(1, 15)} == {(1, 2)}
    assert {tuple(plan.days[date(2026, 3, d)]) for d in range(15, 29)} == {(3, 4)}
    # The short last period (29-31) goes to whoever has had fewest days: a tie, the lowest ids.
    assert plan.days[date(2026, 3, 29)] == [1, 2]


def test_kept_manual_shifts_fill_their_places_and_start_skips_the_past() -> None:
    plan = plan_month(
        year=2026, month=3, people=PEOPLE, fixed={date(2026, 3, 20): [4]}, start=date(2026, 3, 15)
    )

    assert min(plan.days) == date(2026, 3, 15)
    assert plan.days[date(2026, 3, 20)] == [4]


def test_check_day_names_the_broken_rules() -> None:
    day = date(2026, 3, 2)
    group = [
        Person(1, junior=True, technical=False, name="Jun"),
        Person(2, junior=True, technical=False, name="Ned"),
    ]

    problems = check_day(group, day=day, days_off={1: {day}})

    assert len(problems) == 3
    assert check_day([Person(1, junior=True, technical=False)]) == []


def test_a_big_rota_of_juniors_is_planned_at_once_with_warnings_not_searched_forever() -> None:
    # A new support class: twenty juniors and two seniors, eight people a day. No group of eight
    # keeps "never two juniors together"; planning must not try every one of the C(22, 8).
    juniors = [Person(i, junior=True, name=f"Junior {i}") for i in range(1, 21)]
    seniors = [Person(21, name="Senior A"), Person(22, name="Senior B")]
    started = time.monotonic()

    plan = plan_month(year=2026, month=3, people=juniors + seniors, people_per_shift=8)

    assert time.monotonic() - started < 5
    assert all(len(ids) == 8 for ids in plan.days.values())
    assert any("Two juniors" in w for w in plan.warnings)
