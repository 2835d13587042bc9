# Shared by the `collect` tests (sourced): failure counting, SQLite queries, the test cluster and
# the dump of a store's (day, edge) rows that two stores are compared by.

fail=0
failed() { echo "FAIL: $*"; fail=$((fail + 1)); }
q() { sqlite3 -batch -noheader "$1" "$2"; }

# 20 Deployments w0..w19 (labels app=wN, container port 8000 + N % 3) in namespaces ns0..ns3.
make_cluster() {
    awk 'BEGIN {
        for (n = 0; n < 4; n++) printf "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns%d\n", n
        for (w = 0; w < 20; w++) {
            printf "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w%d\n  namespace: ns%d\n", w, w % 4
            printf "spec:\n  selector:\n    matchLabels:\n      app: w%d\n  template:\n    metadata:\n", w
            printf "      labels:\n        app: w%d\n    spec:\n      containers:\n      - name: c\n", w
            printf "        ports:\n        - containerPort: %d\n", 8000 + w % 3
        }
    }'
}

edge_dump() {
    q "$1" "SELECT d.day, s.name, t.name, d.port, d.protocol, d.count, d.first_seen, d.last_seen
            FROM edge_days d JOIN entities s ON s.id = d.src JOIN entities t ON t.id = d.dst
            ORDER BY 1, 2, 3, 4, 5"
}
