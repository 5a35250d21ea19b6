# The contract checks. Ours: schemathesis runs every operation of the document the server serves, as a
# signed-in user, with a fixed seed, and fails on a server error, an undocumented status, a response
# or a header that breaks the document, a wrong content type or a wrong answer to an undeclared
# method. The operations that end the caller's own session are left out, and the events stream, which
# does not end. One worker: Python 3.11's ast module keeps its recursion depth in shared state, and
# hypothesis parsing lambdas from two threads at once fails now and then with "AST constructor
# recursion depth mismatch" (CPython gh-106905), a failure of the checker, not of the server.
# Source it, then call check_contract with the debug build in place.

install_schemathesis_if_missing() {
    if command -v st >/dev/null 2>&1; then return 0; fi
    echo "Installing schemathesis from PyPI..."
    python3 -m pip install -q schemathesis >/dev/null
}

check_contract() {
    install_schemathesis_if_missing
    local data port base log token pid
    data=$(mktemp -d /tmp/finance-contract.XXXXXX)
    port=18181
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    base="http://127.0.0.1:$port"
    log="$data/server.log"
    FINANCE_DATA_DIR="$data/data" .build/debug/finance serve --hostname 127.0.0.1 --port "$port" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 60); do
        curl -sf "$base/health/live" >/dev/null && break
        sleep 1
    done
    curl -sf -X POST "$base/api/v1/auth/register" -H 'Content-Type: application/json' \
        -d '{"email":"contract@example.com","password":"correct horse battery","full_name":"Contract"}' >/dev/null
    token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"email":"contract@example.com","password":"correct horse battery"}' \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
    set +e
    st run "$base/openapi.json" -H "Authorization: Bearer $token" --seed 7 --max-examples 10 --workers 1 \
        --suppress-health-check=filter_too_much \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method \
        --exclude-operation-id logout --exclude-operation-id logoutAll --exclude-operation-id deleteCurrentUser --exclude-operation-id changePassword \
        --exclude-operation-id streamEvents
    local status=$?
    set -e
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    if [ "$status" -ne 0 ]; then
        echo "=== contract: schemathesis found answers that break the document (server log: $log) ==="
        return "$status"
    fi
    rm -rf "$data"
    echo "=== contract: schemathesis found nothing that breaks the document ==="
}

# Plaid's own client (plaid-python) reads every answer of the simulator, for every endpoint PlaidKit calls.
check_plaid_conformance() {
    python3 -c 'import plaid' 2>/dev/null || { echo "Installing plaid-python from PyPI..."; python3 -m pip install -q plaid-python >/dev/null; }
    local data port pid status
    data=$(mktemp -d /tmp/finance-plaid.XXXXXX)
    port=18190
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    FINANCE_DATA_DIR="$data" .build/debug/finance plaid-simulator --port "$port" --transactions 600 >"$data/simulator.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 60); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 1
    done
    set +e
    python3 .ci/plaid_conformance.py "http://127.0.0.1:$port"
    status=$?
    set -e
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    rm -rf "$data"
    return "$status"
}
