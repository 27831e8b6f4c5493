#!/usr/bin/env bash
# packaging/prometheus: the alert rules parse (promtool check rules), fire
# when they should and stay quiet when they should not (promtool test
# rules), and name only metrics golfops writes (or node_exporter's own).
set -euo pipefail
rules_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../packaging/prometheus" && pwd)"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../src" && pwd)"
command -v promtool >/dev/null || {
  echo "promtool is missing: ./scripts/install-deps.sh installs Debian's prometheus package"
  exit 1
}
promtool check rules "$rules_dir/golfops.rules.yml"
(cd "$rules_dir" && promtool test rules golfops.rules.test.yml)
unknown=0
# (The metrics files' names, golfops_backup.prom ..., are prefixes of metrics.)
for metric in $(grep -o 'golfops_[a-z_]*' "$rules_dir/golfops.rules.yml" | sort -u); do
  if ! grep -rqF "\"$metric" "$src"; then
    echo "golfops.rules.yml names $metric, which golfops never writes"
    unknown=1
  fi
done
exit "$unknown"
