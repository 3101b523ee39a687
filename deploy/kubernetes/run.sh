#!/usr/bin/env bash
# Runs a scenario on N generator pods and merges the results.
#   deploy/kubernetes/run.sh <scenario.yaml> <segments> <target-url> <image>
# Needs kubectl, envsubst (gettext), a Secret `crosstalk-jwt` with key `secret`,
# and the PVC in results-pvc.yaml. Exits with the merged run's exit code.
set -euo pipefail
scenario=$1 SEGMENTS=$2 TARGET_URL=$3 IMAGE=$4
here=$(cd "$(dirname "$0")" && pwd)
export SEGMENTS TARGET_URL IMAGE
export RUN_ID="run-$(date -u +%Y%m%d-%H%M%S)"
# Every pod starts its cohorts at the same moment; leave time for pods to schedule and pull.
export START_AT=$(date -u -d "+${START_DELAY:-90} seconds" +%Y-%m-%dT%H:%M:%SZ)
kubectl create configmap crosstalk-scenario --from-file=scenario.yaml="$scenario" --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f "$here/results-pvc.yaml"
kubectl delete job crosstalk-generators crosstalk-merge --ignore-not-found
envsubst < "$here/generators-job.yaml" | kubectl apply -f -
kubectl wait --for=condition=complete job/crosstalk-generators --timeout="${TIMEOUT:-2h}"
envsubst < "$here/merge-job.yaml" | kubectl apply -f -
kubectl wait --for=condition=complete job/crosstalk-merge --timeout=15m || true
kubectl logs job/crosstalk-merge
pod=$(kubectl get pods -l job-name=crosstalk-merge -o jsonpath='{.items[0].metadata.name}')
exit "$(kubectl get pod "$pod" -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')"
