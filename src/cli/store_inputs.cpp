#include "cli/store_inputs.h"

#include <CLI/CLI.hpp>

namespace netpolgen::cli {

CLI::Option* addDbOption(CLI::App& cmd, std::string& db) {
    db = defaultDbLocation();
    return cmd
        .add_option("--db",
                    db,
                    "Store: SQLite file or postgresql:// URI (default $NETPOLGEN_DB, else "
                    "netpolgen.db)")
        ->default_str(db);
}

CLI::Option* addOptionalDbOption(CLI::App& cmd, std::string& db) {
    // expected(0, 1): `--db` alone stores an empty string, replaced by the default in the
    // callback, so "no --db" (empty) and "--db with the default" stay distinguishable.
    return cmd
        .add_option_function<std::vector<std::string>>(
            "--db",
            [&db](const std::vector<std::string>& values) {
                db = values.empty() || values.back().empty() ? defaultDbLocation() : values.back();
            },
            "Read flows (and the cluster unless --cluster) from this store: SQLite file or "
            "postgresql:// URI; bare --db: $NETPOLGEN_DB, else netpolgen.db")
        ->expected(0, 1);
}

CLI::Option* addClusterNameOption(CLI::App& cmd, std::string& name) {
    name = std::string(kDefaultClusterName);
    return cmd
        .add_option(
            "--cluster-name", name, "Name of the cluster in the store (several may share one)")
        ->default_str(name);
}

}  // namespace netpolgen::cli
