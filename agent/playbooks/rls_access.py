"""Access beside tenant isolation, when the recommendation asks for it and the schema has what
it takes. Each adds policies to the RLS plan's tables and says why, or nothing at all:

- shared reads (B2B): a relationship table with two tenant columns (supplier/buyer,
  grantor/grantee, owner/partner) and its active status and validity window;
- time-boxed access: a table with the tenant key and a start/end window, for a named role;
- read-only roles: a named role that may read but not write gets restrictive policies.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from dbagent.lint import LintConfig
from dbagent.lint._catalog import Catalog, Table
from dbagent.playbooks.rls import ExtraPolicy, RlsPlan, _setting, _short, ident, literal

_OWNER = ("supplier", "grantor", "owner", "provider", "seller", "vendor", "source", "from")
_VIEWER = ("buyer", "grantee", "partner", "consumer", "customer", "viewer", "target", "to")
_ACTIVE = ("active", "approved", "accepted")
_STARTS = ("valid_from", "starts_at", "start_date", "effective_from", "start_at")
_ENDS = ("valid_until", "valid_to", "expires_at", "ends_at", "end_date", "end_at")
_READ_ONLY = ("readonly", "read_only", "reader", "viewer", "analyst", "reporting")


def mentioned(text: str, cat: Catalog) -> list[str]:
    """Tables the recommendation names: as written, in any case, quoted or not, singular or plural
    (`order` and `orders` both name the table orders)."""
    words = set(re.findall(r"[A-Za-z_][\w$]*", text.lower()))
    words |= {w + "s" for w in words} | {w + "es" for w in words}
    return [name for name in sorted(cat.tables) if _short(name).lower() in words]


def _tenant_root(cat: Catalog, key: str) -> str | None:
    return next((fk.target for t in cat.tables.values() for fk in t.foreign_keys if fk.columns == (key,)), None)


def _window(t: Table, alias: str) -> list[str]:
    """Conditions that hold while a row of `t` is current, from its usual column names."""
    conditions = []
    for name, col in t.columns.items():
        today = "current_date" if col.type == "date" else "now()"
        if name in ("status", "state"):
            conditions.append(f"{alias}.{ident(name)} IN ({', '.join(literal(v) for v in _ACTIVE)})")
        elif name in _STARTS:
            conditions.append(f"{alias}.{ident(name)} <= {today}")
        elif name in _ENDS:
            op = ">=" if col.type == "date" else ">"
            conditions.append(f"({alias}.{ident(name)} IS NULL OR {alias}.{ident(name)} {op} {today})"
                              if not col.not_null else f"{alias}.{ident(name)} {op} {today}")
        elif name in ("revoked_at", "terminated_at"):
            conditions.append(f"{alias}.{ident(name)} IS NULL")
    return conditions


def sentences(text: str) -> list[str]:
    """The prose sentences of a markdown text: paragraphs, list items and headings unwrapped,
    code blocks and tables left out (a table listing is not a request)."""
    out = []
    for token in MarkdownIt().parse(text):
        if token.type == "inline" and "|" not in token.content:
            out += re.split(r"(?<=[.!?])\s+", token.content.replace("\n", " "))
    return out


def _sentences_with(text: str, name: str) -> str:
    """The sentences that name the table `name`: what is asked of it is said there, and only
    tables named in the same sentence take part."""
    short = _short(name).lower()
    return "\n".join(x for x in sentences(text) if short in set(re.findall(r"[A-Za-z_][\w$]*", x.lower())))


def shared_reads(plan: RlsPlan, cat: Catalog, config: LintConfig, text: str) -> list[str]:
    low = text.lower()
    if not any(w in low for w in ("cross-tenant", "b2b", "share", "read access", "agreement", "partner")):
        return []
    key, root = config.tenant_key, _tenant_root(cat, config.tenant_key)
    notes = []
    for rel_name in mentioned(text, cat):
        near = _sentences_with(text, rel_name)
        if not re.search(r"\b(cross-tenant|b2b|share[sd]?|reads?|see|access)\b", near.lower()):
            continue
        rel = cat.tables[rel_name]
        links = [fk.columns[0] for fk in rel.foreign_keys if len(fk.columns) == 1 and fk.target == root
                 and fk.columns[0] != key]
        owner = next((c for c in links if any(w in c for w in _OWNER)), None)
        viewer = next((c for c in links if any(w in c for w in _VIEWER) and c != owner), None)
        if len(links) != 2 or owner is None or viewer is None:
            continue
        active = " AND ".join(_window(rel, "r"))
        named_with = set(mentioned(near, cat))
        for t in plan.tables:
            table = cat.tables[t.name]
            if key not in table.columns or t.name == rel_name or t.name not in named_with:
                continue
            setting = _setting(config, table.columns[key].type)
            t.extra.append(ExtraPolicy(
                name=ident(f"{_short(t.name)}_shared_read"[:63]), command="SELECT",
                using=(f"EXISTS (SELECT 1 FROM {ident(rel_name)} r WHERE r.{ident(owner)} = "
                       f"{ident(_short(t.name))}.{ident(key)} AND r.{ident(viewer)} = {setting}"
                       + (f" AND {active}" if active else "") + ")"),
                check=None, comment=literal(f"Read-only sharing: {viewer} reads {owner}'s rows while {rel_name} "
                                            "links them and the link is current.")))
            notes.append(f"{t.name}: readable by {viewer} while an active {rel_name} row links it to {owner}")
    return notes


_WINDOW_WORDS = ("window", "time-box", "timebox", "only while", "time-based", "temporary access", "for a limited time")


def time_windows(plan: RlsPlan, cat: Catalog, config: LintConfig, text: str, roles: set[str]) -> list[str]:
    key, notes = config.tenant_key, []
    for win_name in mentioned(text, cat):
        win = cat.tables[win_name]
        start = next((c for c in win.columns if c in _STARTS), None)
        end = next((c for c in win.columns if c in _ENDS), None)
        near = _sentences_with(text, win_name)
        named = [r for r in sorted(roles) if re.search(rf"\b{re.escape(r)}\b", near) and not config.is_admin_role(r)]
        if key not in win.columns or not start or not end or not named \
                or not any(w in near.lower() for w in _WINDOW_WORDS):
            continue
        role = next((r for r in named if not any(w in r for w in _READ_ONLY)), None)
        if role is None:
            continue
        who = next((c for c in win.columns if c in ("granted_to", "role_name", "grantee_role")), None)
        named_with = set(mentioned(near, cat))
        for t in plan.tables:
            table = cat.tables[t.name]
            if key not in table.columns or t.name == win_name or t.name not in named_with:
                continue
            t.extra.append(ExtraPolicy(
                name=ident(f"{_short(t.name)}_{role}_window"[:63]), command="SELECT", roles=ident(role),
                using=(f"EXISTS (SELECT 1 FROM {ident(win_name)} w WHERE w.{ident(key)} = "
                       f"{ident(_short(t.name))}.{ident(key)} AND w.{ident(start)} <= now() AND now() < w.{ident(end)}"
                       + (f" AND w.{ident(who)} = current_user" if who else "") + ")"),
                check=None, comment=literal(f"{role} reads a tenant's rows only inside a current {win_name} window.")))
            notes.append(f"{t.name}: {role} reads a tenant's rows while {win_name}.{start} <= now() < {end}")
        window = next((t for t in plan.tables if t.name == win_name), None)
        if window is not None and notes:  # the role must see its own windows to evaluate the policy
            own = f"{ident(who)} = current_user" if who else "true"
            window.extra.append(ExtraPolicy(
                name=ident(f"{_short(win_name)}_{role}_own"[:63]), command="SELECT", roles=ident(role), using=own,
                check=None, comment=literal(f"{role} reads the access windows granted to it."),
                ignore=f"policy-missing-tenant-predicate {role} must see its own windows in every tenant "
                       "to evaluate the window policy"))
    return notes


def read_only(plan: RlsPlan, config: LintConfig, text: str, roles: set[str]) -> list[str]:
    notes = []
    prose = sentences(text)
    for role in sorted(roles):
        said = " ".join(x for x in prose if re.search(rf"\b{re.escape(role)}\b", x)).lower()
        if not said or config.is_admin_role(role):
            continue
        # the sentence that names the role must make it read-only, e.g. "`app_readonly` is read-only"
        if not re.search(rf"{re.escape(role.lower())}\W+(is|are|stays?|must be|should be)\W+read[- ]only"
                         rf"|{re.escape(role.lower())}\W+(may|can)\W+(only\W+)?read\b.*\b(never|not)\b", said):
            continue
        for t in plan.tables:
            base = _short(t.name)
            t.extra += [
                ExtraPolicy(name=ident(f"{base}_{role}_no_insert"[:63]), command="INSERT", roles=ident(role),
                            using=None, check="false", restrictive=True, comment=literal(f"{role} is read-only.")),
                ExtraPolicy(name=ident(f"{base}_{role}_no_update"[:63]), command="UPDATE", roles=ident(role),
                            using="true", check="false", restrictive=True, comment=literal(f"{role} is read-only.")),
                ExtraPolicy(name=ident(f"{base}_{role}_no_delete"[:63]), command="DELETE", roles=ident(role),
                            using="false", check=None, restrictive=True, comment=literal(f"{role} is read-only."))]
        notes.append(f"{role} reads but cannot insert, update or delete (restrictive policies)")
    return notes


def extend(plan: RlsPlan, cat: Catalog, config: LintConfig, text: str, roles: set[str]) -> list[str]:
    """Add what the recommendation asks for beside isolation; the notes say what and why."""
    return (shared_reads(plan, cat, config, text) + time_windows(plan, cat, config, text, roles)
            + read_only(plan, config, text, roles))
