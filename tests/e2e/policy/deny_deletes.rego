# A deny-deletes policy written for `terraform show -json` (as Conftest or OPA runs it on a
# Terraform plan): no managed resource may be deleted, replaced ones included. It names nothing
# of reconciler; tests/e2e/test_plan_artifacts.py runs it, unchanged, on reconciler's JSON plan.
package terraform.deny_deletes

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	rc.mode == "managed"
	"delete" in rc.change.actions
	msg := sprintf("%s (%s %s): deleting is not allowed", [rc.address, rc.type, rc.name])
}
