"""Numbered rows: plan and rubric versions, snapshot versions, label and gold revisions.

The next number is the highest in the row's scope plus one. Two writers in the same scope at once
both read the same highest number; the unique constraint on (scope, number) lets one of them in
and refuses the other, which then reads again and takes the next number. The insert runs in a
savepoint, so a refused attempt leaves the caller's transaction usable. An `IntegrityError` that
is not about the number (the number is free after all) is raised at once, never retried.

The retry relies on READ COMMITTED (Django's default on PostgreSQL; SQLite serialises writers):
the refused writer's next read must see the row that beat it. Under REPEATABLE READ it would not,
and the IntegrityError is raised to the caller instead of looping.
"""
from __future__ import annotations

from typing import Any, ClassVar, Self

from django.db import IntegrityError, models, transaction
from django.db.models import Max

ATTEMPTS = 8  # each retry means another writer took a number in the same moment: a handful is plenty


class Versioned(models.Model):
    """A row numbered 1, 2, 3… within its scope. Subclasses name the number field and the scope
    fields, and keep a unique constraint on them (that constraint is what makes the numbers safe)."""

    number_field: ClassVar[str] = "version"
    scope_fields: ClassVar[tuple[str, ...]] = ("project",)

    class Meta:
        abstract = True

    @classmethod
    def create_next(cls, **fields: Any) -> Self:
        """Insert a new row with the scope's next number: `create_next(project=p, definition=…)`."""
        missing = [name for name in cls.scope_fields if name not in fields and f"{name}_id" not in fields]
        if missing:
            raise TypeError(f"{cls.__name__}.create_next needs its scope: {', '.join(missing)}")
        return cls(**fields).save_next()

    def save_next(self) -> Self:
        """Insert this (unsaved) row with its scope's next number, whatever number it carries."""
        numbered = type(self)._default_manager.filter(**self._scope())
        for attempt in range(1, ATTEMPTS + 1):
            number = self._next_number(numbered)
            setattr(self, self.number_field, number)
            try:
                with transaction.atomic():
                    self.save(force_insert=True)
                return self
            except IntegrityError:
                taken = numbered.filter(**{self.number_field: number}).exists()
                if not taken or attempt == ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _next_number(self, numbered: models.QuerySet) -> int:
        return (numbered.aggregate(last=Max(self.number_field))["last"] or 0) + 1

    def _scope(self) -> dict[str, Any]:
        attnames = {field.name: field.attname for field in self._meta.concrete_fields}
        return {attnames[name]: getattr(self, attnames[name]) for name in self.scope_fields}
