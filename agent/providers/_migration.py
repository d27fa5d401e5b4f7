"""The migration files a builtin report carries: forward files in apply order, each with its
rollback, rollbacks applied in the reverse order (the report's sections 4 and 6)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dbagent.report.models import FileEntry, FilesStructure, SqlArtifact


def down_path(path: str) -> str:
    return path.replace(".sql", ".down.sql")


@dataclass
class Migration:
    _pairs: list[tuple[str, str, str, str, str, bool]] = field(default_factory=list)

    def add(self, path: str, up: str, down: str, purpose: str, undo: str, *, concurrently: bool = False) -> None:
        """A forward file (non-transactional with `concurrently`) and its rollback, applied after those before."""
        self._pairs.append((path, up, down, purpose, undo, concurrently))

    @property
    def paths(self) -> list[str]:
        return [p[0] for p in self._pairs]

    @property
    def rollback_paths(self) -> list[str]:
        return [down_path(p[0]) for p in reversed(self._pairs)]

    def files(self) -> FilesStructure:
        forward = [FileEntry(path=p, kind="migration", apply_order=n, purpose=purpose)
                   for n, (p, _, _, purpose, _, _) in enumerate(self._pairs, 1)]
        back = [FileEntry(path=down_path(p), kind="rollback", apply_order=n, purpose=undo)
                for n, (p, _, _, _, undo, _) in enumerate(reversed(self._pairs), 1)]
        return FilesStructure(files=forward + back)

    def artifacts(self) -> list[SqlArtifact]:
        forward = [SqlArtifact(path=p, role="up-nontransactional" if concurrently else "up", sql=up)
                   for p, up, _, _, _, concurrently in self._pairs]
        back = [SqlArtifact(path=down_path(p), role="down", sql=down) for p, _, down, _, _, _ in reversed(self._pairs)]
        return forward + back

    def steps(self, verb: str = "Apply") -> list[str]:
        """Deployment steps: each forward file, saying which run outside a transaction."""
        return [f"{verb} {p}" + (" outside a transaction" if c else "") for p, _, _, _, _, c in self._pairs]

    def rollback_steps(self) -> list[str]:
        return [f"Run {down_path(p)}" + (" outside a transaction" if c else "") for p, _, _, _, _, c in reversed(self._pairs)]
