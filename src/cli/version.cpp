// Placeholder translation unit until the subcommands land (keeps the cli target non-empty).
namespace netpolgen::cli {
const char* version() { return NETPOLGEN_VERSION; }
}  // namespace netpolgen::cli
