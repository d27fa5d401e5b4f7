"""D. Row-level security and privileges: tenant isolation and escalation."""

from dbagent.lint.rules.security.tenant_table_rls_disabled import TenantTableRlsDisabled
from dbagent.lint.rules.security.rls_not_forced import RlsNotForced
from dbagent.lint.rules.security.policy_without_rls import PolicyWithoutRls
from dbagent.lint.rules.security.rls_enabled_no_policy import RlsEnabledNoPolicy
from dbagent.lint.rules.security.policy_missing_tenant_predicate import PolicyMissingTenantPredicate
from dbagent.lint.rules.security.policy_write_check_weak import PolicyWriteCheckWeak
from dbagent.lint.rules.security.policy_always_true import PolicyAlwaysTrue
from dbagent.lint.rules.security.rls_per_row_setting_call import RlsPerRowSettingCall
from dbagent.lint.rules.security.setting_without_missing_ok import SettingWithoutMissingOk
from dbagent.lint.rules.security.permissive_policy_sprawl import PermissivePolicySprawl
from dbagent.lint.rules.security.rls_weakened import RlsWeakened
from dbagent.lint.rules.security.security_definer_no_search_path import SecurityDefinerNoSearchPath
from dbagent.lint.rules.security.security_definer_view import SecurityDefinerView
from dbagent.lint.rules.security.matview_on_tenant_table import MatviewOnTenantTable
from dbagent.lint.rules.security.broad_grant import BroadGrant
from dbagent.lint.rules.security.role_escalation import RoleEscalation

RULES = (
    TenantTableRlsDisabled,
    RlsNotForced,
    PolicyWithoutRls,
    RlsEnabledNoPolicy,
    PolicyMissingTenantPredicate,
    PolicyWriteCheckWeak,
    PolicyAlwaysTrue,
    RlsPerRowSettingCall,
    SettingWithoutMissingOk,
    PermissivePolicySprawl,
    RlsWeakened,
    SecurityDefinerNoSearchPath,
    SecurityDefinerView,
    MatviewOnTenantTable,
    BroadGrant,
    RoleEscalation,
)
