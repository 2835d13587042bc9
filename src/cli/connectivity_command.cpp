#include "cli/connectivity_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "cli/app.h"
#include "cli/inputs.h"
#include "cli/output_file.h"
#include "io/manifest_decoder.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawnp

namespace netpolgen::cli {
namespace {

core::ConnectivityPeer workloadPeer(size_t index) {
    core::ConnectivityPeer p;
    p.workload = index;
    return p;
}

// One printed connection: source, destination, connections. Views into strings that outlive
// the rendering (the map's names, the rendered connection sets, ExposureLines' storage): millions
// of lines must not hold three string copies each.
struct Line {
    std::string_view src;
    std::string_view dst;
    std::string_view conn;
};

bool bySrcThenDst(const Line& a, const Line& b) {
    return std::tie(a.src, a.dst) < std::tie(b.src, b.dst);
}

bool byDstThenSrc(const Line& a, const Line& b) {
    return std::tie(a.dst, a.src) < std::tie(b.dst, b.src);
}

// Calls `visit` with every allowed connection (only those of `focus` when set), in output order;
// each distinct connection set is rendered once into `texts` (node-stable: the views stay valid).
template <typename Visit>
void forEachLine(const core::ConnectivityMap& map,
                 const std::optional<size_t>& focus,
                 std::unordered_map<const core::ConnectionSet*, std::string>& texts,
                 Visit&& visit) {
    auto isFocus = [&](const core::ConnectivityPeer& p) {
        return p.kind == core::ConnectivityPeer::Kind::kWorkload && p.workload == *focus;
    };
    map.forEachAllowed([&](const core::ConnectivityPeer& src,
                           const core::ConnectivityPeer& dst,
                           const core::ConnectionSet& conns) {
        if (focus && !isFocus(src) && !isFocus(dst)) {
            return;
        }
        auto it = texts.find(&conns);
        if (it == texts.end()) {
            it = texts.emplace(&conns, conns.toString()).first;
        }
        visit(Line{map.name(src), map.name(dst), it->second});
    });
}

struct ExposureLines {
    std::deque<std::string> storage;  // what the lines below view that the map does not hold
    std::vector<Line> egress;         // sorted by (src, dst)
    std::vector<Line> ingress;        // sorted by (dst, src)
    std::vector<std::string> unprotected;
    size_t width = 0;  // of the longest exposed workload name
};

void exposureLines(const core::Cluster& cluster,
                   const std::vector<core::WorkloadExposure>& exposure,
                   const std::vector<Line>& connlist,
                   const std::optional<size_t>& focus,
                   ExposureLines& out) {
    auto keep = [&](std::string text) -> std::string_view {
        return out.storage.emplace_back(std::move(text));
    };
    std::map<std::string, std::vector<const Line*>> to_ips;    // workload → lines to External
    std::map<std::string, std::vector<const Line*>> from_ips;  // workload → lines from External
    auto external = [](std::string_view name) { return name.ends_with("[External]"); };
    for (const Line& l : connlist) {
        if (external(l.dst)) {
            to_ips[std::string(l.src)].push_back(&l);
        }
        if (external(l.src)) {
            from_ips[std::string(l.dst)].push_back(&l);
        }
    }
    for (const core::WorkloadExposure& e : exposure) {
        if (focus && e.workload != *focus) {
            continue;
        }
        const std::string_view name = keep(core::peerName(cluster, workloadPeer(e.workload)));
        out.width = std::max(out.width, name.size());
        for (const auto& entry : e.egress) {
            out.egress.push_back({name, keep(entry.peer.toString()), keep(entry.conns.toString())});
        }
        for (const Line* l : to_ips[std::string(name)]) {
            out.egress.push_back(*l);
        }
        for (const auto& entry : e.ingress) {
            out.ingress.push_back(
                {keep(entry.peer.toString()), name, keep(entry.conns.toString())});
        }
        for (const Line* l : from_ips[std::string(name)]) {
            out.ingress.push_back(*l);
        }
        if (!e.ingress_protected) {
            out.unprotected.push_back(std::string(name) + " is not protected on Ingress");
        }
        if (!e.egress_protected) {
            out.unprotected.push_back(std::string(name) + " is not protected on Egress");
        }
    }
    std::sort(out.egress.begin(), out.egress.end(), bySrcThenDst);
    std::sort(out.ingress.begin(), out.ingress.end(), byDstThenSrc);
    std::sort(out.unprotected.begin(), out.unprotected.end());
}

std::string padded(std::string_view s, size_t width) {
    std::string out(s);
    if (out.size() < width) {
        out.append(width - out.size(), ' ');
    }
    return out;
}

void appendTxtExposure(const ExposureLines& e, size_t connlist_lines, std::string& out) {
    if (connlist_lines > 0) {
        out += "\n";
    }
    out += "Exposure Analysis Result:\n";
    if (!e.egress.empty()) {
        out += "Egress Exposure:\n";
        for (const Line& l : e.egress) {
            out.append(padded(l.src, e.width)).append(" \t=> \t").append(l.dst);
            out.append(" : ").append(l.conn).append("\n");
        }
    }
    if (!e.ingress.empty()) {
        out += e.egress.empty() ? "" : "\n";
        out += "Ingress Exposure:\n";
        for (const Line& l : e.ingress) {
            out.append(padded(l.dst, e.width)).append(" \t<= \t").append(l.src);
            out.append(" : ").append(l.conn).append("\n");
        }
    }
    if (!e.unprotected.empty()) {
        out += "\nWorkloads not protected by network policies:\n";
        for (const auto& u : e.unprotected) {
            out += u + "\n";
        }
    }
}

// A JSON string as Go's encoding/json writes it (HTML-sensitive characters escaped too).
std::string jsonString(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        switch (ch) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '<':
            case '>':
            case '&': {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", u);
                out += buf;
                break;
            }
            default:
                if (u < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", u);
                    out += buf;
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

// An array of {src, dst, conn} objects, indented like Go's json.MarshalIndent at `indent`.
// `null_when_empty`: Go marshals a nil slice as null.
std::string jsonLines(const std::vector<Line>& lines,
                      const std::string& indent,
                      bool null_when_empty) {
    if (lines.empty()) {
        return null_when_empty ? "null" : "[]";
    }
    std::string out = "[\n";
    for (size_t i = 0; i < lines.size(); ++i) {
        const Line& l = lines[i];
        out += indent + "  {\n";
        out += indent + "    \"src\": " + jsonString(l.src) + ",\n";
        out += indent + "    \"dst\": " + jsonString(l.dst) + ",\n";
        out += indent + "    \"conn\": " + jsonString(l.conn) + "\n";
        out += indent + (i + 1 < lines.size() ? "  },\n" : "  }\n");
    }
    return out + indent + "]";
}

// One {src, dst, conn} object of an array at `indent`, as json.MarshalIndent writes it.
void appendJsonItem(const Line& l, std::string_view indent, std::string& out) {
    out.append(indent).append("  {\n");
    out.append(indent).append("    \"src\": ").append(jsonString(l.src)).append(",\n");
    out.append(indent).append("    \"dst\": ").append(jsonString(l.dst)).append(",\n");
    out.append(indent).append("    \"conn\": ").append(jsonString(l.conn)).append("\n");
    out.append(indent).append("  }");
}

void appendJsonExposure(const ExposureLines& e, std::string& out) {
    out += "  \"exposure_results\": {\n";
    out += "    \"egress_exposure\": " + jsonLines(e.egress, "    ", true) + ",\n";
    out += "    \"ingress_exposure\": " + jsonLines(e.ingress, "    ", true) + "\n";
    out += "  }\n}\n";
}

// A CSV field as Go's encoding/csv writes it.
std::string csvField(std::string_view s) {
    const bool quote = !s.empty() && (s.find_first_of(",\"\r\n") != std::string_view::npos ||
                                      s.front() == ' ' || s.front() == '\t');
    if (!quote) {
        return std::string(s);
    }
    std::string out = "\"";
    for (char ch : s) {
        out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    }
    return out + "\"";
}

std::string csvRow(std::string_view a, std::string_view b, std::string_view c) {
    return csvField(a) + "," + csvField(b) + "," + csvField(c) + "\n";
}

void appendCsvExposure(const ExposureLines& e, std::string& out) {
    out += csvRow("Exposure Analysis Result:", "", "");
    if (!e.egress.empty()) {
        out += csvRow("Egress Exposure:", "", "");
        out += csvRow("src", "dst", "conn");
        for (const Line& l : e.egress) {
            out += csvRow(l.src, l.dst, l.conn);
        }
    }
    if (!e.ingress.empty()) {
        out += csvRow("Ingress Exposure:", "", "");
        out += csvRow("dst", "src", "conn");
        for (const Line& l : e.ingress) {
            out += csvRow(l.dst, l.src, l.conn);
        }
    }
}

std::string mdRow(std::string_view a, std::string_view b, std::string_view c) {
    std::string out = "| ";
    out.append(a).append(" | ").append(b).append(" | ").append(c).append(" |");
    return out;
}

constexpr std::string_view kMdUnderline = "|-----|-----|------|";

// netpol-analyzer joins the connlist rows, "## Exposure Analysis Result:" and the two
// sub-sections (each ending in a newline, or empty) with newlines.
void appendMdExposure(const ExposureLines& e, std::string& out) {
    auto section = [&](const std::vector<Line>& rows, bool ingress) {
        if (rows.empty()) {
            return std::string();
        }
        std::string s = ingress ? "### Ingress Exposure:\n" + mdRow("dst", "src", "conn")
                                : "### Egress Exposure:\n" + mdRow("src", "dst", "conn");
        s += "\n" + std::string(kMdUnderline) + "\n";
        for (const Line& l : rows) {
            s += ingress ? mdRow(l.dst, l.src, l.conn) : mdRow(l.src, l.dst, l.conn);
            s += "\n";
        }
        return s;
    };
    out += "\n## Exposure Analysis Result:\n" + section(e.egress, false) + "\n" +
           section(e.ingress, true);
}

// A dot ID as Go's %q quotes it.
std::string dotQuote(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') {
            out += '\\';
        }
        out += ch;
    }
    return out + "\"";
}

std::string dotNode(std::string_view id,
                    std::string_view label,
                    std::string_view color,
                    std::string_view extra = "") {
    return "\t" + dotQuote(id) + " [label=" + dotQuote(label) + " color=" + dotQuote(color) +
           " fontcolor=" + dotQuote(color) + std::string(extra) + "]";
}

std::string dotEdge(const Line& l, std::string_view color, std::string_view extra = "") {
    return "\t" + dotQuote(l.src) + " -> " + dotQuote(l.dst) + " [label=" + dotQuote(l.conn) +
           " color=" + dotQuote(color) + " fontcolor=\"darkgreen\"" + std::string(extra) + "]";
}

std::string renderDot(const core::Cluster& cluster,
                      const std::vector<Line>& lines,
                      const ExposureLines* exposure,
                      const std::optional<size_t>& focus) {
    std::map<std::string, std::set<std::string>> ns_nodes;  // namespace → node lines
    std::set<std::string> other_nodes;                      // External ranges, representatives
    std::vector<std::string> edges;
    std::map<std::string, size_t> workload_by_name;
    for (size_t i = 0; i < cluster.workloads.size(); ++i) {
        const std::string name = core::peerName(cluster, workloadPeer(i));
        workload_by_name.emplace(name, i);
    }
    auto addNode = [&](std::string_view name) {
        auto it = workload_by_name.find(std::string(name));
        if (it == workload_by_name.end()) {
            other_nodes.insert(dotNode(name, name, "red2"));
            return;
        }
        const core::Workload& w = cluster.workloads[it->second];
        const std::string label = w.name + "[" + std::string(core::workloadKindName(w.kind)) + "]";
        ns_nodes[w.ns].insert("\t" + dotNode(name, label, "blue"));
    };
    for (size_t i = 0; i < cluster.workloads.size(); ++i) {
        if (!focus || *focus == i) {
            addNode(core::peerName(cluster, workloadPeer(i)));
        }
    }
    for (const Line& l : lines) {
        addNode(l.src);
        addNode(l.dst);
        edges.push_back(dotEdge(l, "gold2"));
    }
    if (exposure != nullptr) {
        auto addRepresentative = [&](std::string_view name) {
            if (name == "entire-cluster") {
                other_nodes.insert(dotNode(name, name, "red2", " shape=diamond"));
            } else if (!name.ends_with("[External]")) {
                other_nodes.insert(dotNode(name, name, "red2"));
            }
        };
        for (const Line& l : exposure->egress) {
            if (!l.dst.ends_with("[External]")) {
                addRepresentative(l.dst);
                edges.push_back(dotEdge(l, "darkorange4", " style=dashed"));
            }
        }
        for (const Line& l : exposure->ingress) {
            if (!l.src.ends_with("[External]")) {
                addRepresentative(l.src);
                edges.push_back(dotEdge(l, "darkorange2", " style=dashed"));
            }
        }
    }
    std::sort(edges.begin(), edges.end());
    std::string out = "digraph {\n";
    for (const auto& [ns, nodes] : ns_nodes) {
        std::string id = ns;
        std::replace(id.begin(), id.end(), '-', '_');
        std::replace(id.begin(), id.end(), '.', '_');
        out += "\tsubgraph cluster_" + id + " {\n";
        for (const auto& n : nodes) {
            out += n + "\n";
        }
        out += "\t\tlabel=" + dotQuote(ns) + "\n\t}\n";
    }
    for (const auto& n : other_nodes) {
        out += n + "\n";
    }
    for (const auto& e : edges) {
        out += e + "\n";
    }
    return out + "}\n";
}

std::optional<std::string> findOnPath(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::string_view rest = path != nullptr ? path : "/usr/bin:/bin";
    while (true) {
        const size_t colon = rest.find(':');
        std::string dir(rest.substr(0, colon));
        if (dir.empty()) {
            dir = ".";
        }
        const std::string candidate = dir + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        rest = rest.substr(colon + 1);
    }
}

// Loads the --policies inputs into `cluster`: a policy with an existing namespace/name replaces
// it, others are added. Errors name the file (and line).
core::Status applyPolicyFiles(const ConnectivityCommandOptions& o,
                              core::Cluster& cluster,
                              std::vector<std::string>& warnings) {
    for (const auto& path : o.policy_paths) {
        core::ClusterObjects objects;
        io::ManifestStats stats;
        io::ManifestOptions manifest_options;
        manifest_options.skip_invalid = o.skip_invalid;
        if (core::Status st = io::loadManifests(path, manifest_options, objects, stats); !st) {
            return st;
        }
        warnings.insert(warnings.end(), stats.warnings.begin(), stats.warnings.end());
        if (objects.policies.empty()) {
            return core::Error{path + ": no NetworkPolicy objects (--policies takes policies)"};
        }
        const size_t others = objects.namespaces.size() + objects.workloads.size() +
                              objects.pods.size() + objects.services.size() + objects.routes.size();
        if (others > 0) {
            warnings.push_back(path + ": " + std::to_string(others) +
                               " objects other than NetworkPolicies ignored (--policies)");
        }
        for (auto& p : objects.policies) {
            auto it =
                std::find_if(cluster.policies.begin(), cluster.policies.end(), [&](const auto& q) {
                    return q.policy.ns == p.policy.ns && q.policy.name == p.policy.name;
                });
            if (it != cluster.policies.end()) {
                *it = std::move(p);
            } else {
                cluster.policies.push_back(std::move(p));
            }
        }
    }
    std::sort(cluster.policies.begin(), cluster.policies.end(), [](const auto& a, const auto& b) {
        return std::tie(a.policy.ns, a.policy.name) < std::tie(b.policy.ns, b.policy.name);
    });
    // A policy in a namespace nothing else mentions: the namespace exists (with its name label).
    for (const auto& p : cluster.policies) {
        if (cluster.findNamespace(p.policy.ns) == nullptr) {
            core::Namespace ns;
            ns.name = p.policy.ns;
            ns.labels.emplace(std::string(core::kNamespaceNameLabel), ns.name);
            auto at = std::lower_bound(cluster.namespaces.begin(),
                                       cluster.namespaces.end(),
                                       ns.name,
                                       [](const auto& a, const auto& n) { return a.name < n; });
            cluster.namespaces.insert(at, std::move(ns));
        }
    }
    return {};
}

}  // namespace

core::Result<std::string> renderConnectivity(const core::Cluster& cluster,
                                             const core::ConnectivityMap& map,
                                             const ConnectivityRenderOptions& options) {
    const std::string& format = options.format;
    if (format != "txt" && format != "json" && format != "csv" && format != "md" &&
        format != "dot") {
        return core::Error{"unknown format \"" + format + "\" (txt, json, csv, md, dot, svg)"};
    }
    const bool with_exposure = options.exposure != nullptr;
    std::unordered_map<const core::ConnectionSet*, std::string> texts;
    // The connlist is written while it is enumerated (it can be huge); only what the exposure
    // section and dot need is kept: lines with an External end, resp. every line.
    std::vector<Line> kept;
    std::string out;
    size_t count = 0;
    if (format == "json") {
        out += with_exposure ? "{\n  \"connlist_results\": [" : "[";
    } else if (format == "csv") {
        out += csvRow("src", "dst", "conn");
    } else if (format == "md") {
        out += mdRow("src", "dst", "conn") + "\n" + std::string(kMdUnderline);
    }
    const std::string_view json_indent = with_exposure ? "  " : "";
    forEachLine(map, options.focus, texts, [&](const Line& l) {
        if (format == "txt") {
            out.append(l.src).append(" => ").append(l.dst).append(" : ").append(l.conn);
            out += '\n';
        } else if (format == "json") {
            out += count == 0 ? "\n" : ",\n";
            appendJsonItem(l, json_indent, out);
        } else if (format == "csv") {
            out += csvRow(l.src, l.dst, l.conn);
        } else if (format == "md") {
            out += "\n" + mdRow(l.src, l.dst, l.conn);
        }
        if (format == "dot" ||
            (with_exposure && (l.src.ends_with("[External]") || l.dst.ends_with("[External]")))) {
            kept.push_back(l);
        }
        ++count;
    });
    if (format == "json") {
        out += count == 0 ? "]" : "\n" + std::string(json_indent) + "]";
        out += with_exposure ? ",\n" : "\n";
    }
    ExposureLines exposure;
    if (with_exposure) {
        exposureLines(cluster, *options.exposure, kept, options.focus, exposure);
        if (format == "txt") {
            appendTxtExposure(exposure, count, out);
        } else if (format == "json") {
            appendJsonExposure(exposure, out);
        } else if (format == "csv") {
            appendCsvExposure(exposure, out);
        } else if (format == "md") {
            appendMdExposure(exposure, out);
        }
    }
    if (format == "md" && (out.empty() || out.back() != '\n')) {
        out += '\n';
    }
    if (format == "dot") {
        return renderDot(cluster, kept, with_exposure ? &exposure : nullptr, options.focus);
    }
    return out;
}

core::Result<size_t> findFocusWorkload(const core::Cluster& cluster, const std::string& focus) {
    std::vector<size_t> hits;
    for (size_t i = 0; i < cluster.workloads.size(); ++i) {
        const core::Workload& w = cluster.workloads[i];
        const std::string ns_name = w.ns + "/" + w.name;
        if (focus == w.name || focus == ns_name ||
            focus == core::peerName(cluster, workloadPeer(i))) {
            hits.push_back(i);
        }
    }
    if (hits.empty()) {
        return core::Error{"--focus " + focus +
                           ": no such workload (NAME, NS/NAME or NS/NAME[Kind])"};
    }
    if (hits.size() > 1) {
        std::string names;
        for (size_t i : hits) {
            names += (names.empty() ? "" : ", ") + core::peerName(cluster, workloadPeer(i));
        }
        return core::Error{"--focus " + focus + " is ambiguous: " + names};
    }
    return hits.front();
}

core::Result<std::string> renderSvg(const std::string& dot_text) {
    const auto dot = findOnPath("dot");
    if (!dot) {
        return core::Error{
            "--format svg needs Graphviz's `dot` on PATH (Debian: apt-get install graphviz); "
            "--format dot writes the graph without it"};
    }
    // The input goes through an unlinked temporary file, so no writer thread is needed.
    char tmp_path[] = "/tmp/netpolgen-dot-XXXXXX";
    const int in_fd = mkstemp(tmp_path);
    if (in_fd < 0) {
        return core::Error{std::string("cannot create a temporary file: ") + std::strerror(errno)};
    }
    ::unlink(tmp_path);
    size_t written = 0;
    while (written < dot_text.size()) {
        const ssize_t n = ::write(in_fd, dot_text.data() + written, dot_text.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            ::close(in_fd);
            return core::Error{std::string("cannot write a temporary file: ") +
                               std::strerror(errno)};
        }
        written += static_cast<size_t>(n);
    }
    ::lseek(in_fd, 0, SEEK_SET);
    int out_pipe[2];
    if (::pipe(out_pipe) != 0) {
        ::close(in_fd);
        return core::Error{std::string("cannot create a pipe: ") + std::strerror(errno)};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
    std::string program = *dot;
    std::string flag = "-Tsvg";
    char* argv[] = {program.data(), flag.data(), nullptr};
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in_fd);
    ::close(out_pipe[1]);
    if (rc != 0) {
        ::close(out_pipe[0]);
        return core::Error{"cannot run " + program + ": " + std::strerror(rc)};
    }
    std::string svg;
    char buf[65536];
    while (true) {
        const ssize_t n = ::read(out_pipe[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        svg.append(buf, static_cast<size_t>(n));
    }
    ::close(out_pipe[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return core::Error{program + " -Tsvg failed (exit status " +
                           std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")"};
    }
    return svg;
}

CLI::App* addConnectivityCommand(CLI::App& app, ConnectivityCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "connectivity",
        "Every allowed connection under the cluster's NetworkPolicies (netpol-analyzer list)");
    cmd->add_option(
        "--cluster,-c", o.cluster_paths, "Manifests: YAML/JSON file or directory (repeatable)");
    addLiveClusterOptions(*cmd, o.live);
    cmd->add_option("--policies",
                    o.policy_paths,
                    "NetworkPolicies to add, or to replace by namespace/name (repeatable)");
    cmd->add_option("--format", o.format, "Output format: txt, json, csv, md, dot or svg")
        ->check(CLI::IsMember({"txt", "json", "csv", "md", "dot", "svg"}))
        ->default_str("txt");
    cmd->add_option(
        "--focus", o.focus, "Only connections of this workload: NAME, NS/NAME or NS/NAME[Kind]");
    cmd->add_flag(
        "--exposure",
        o.exposure,
        "Append the exposure analysis (peers not in the manifests a workload may reach or "
        "be reached from)");
    cmd->add_option("--ipblock-matches-pods",
                    o.ipblock_matches_pods,
                    "Whether an ipBlock also matches pod IPs (true: Kubernetes; false: "
                    "netpol-analyzer)")
        ->default_str("true");
    cmd->add_option("--host-network-exempt",
                    o.host_network_exempt,
                    "Whether hostNetwork pods are neither isolated nor selected by policies (true: "
                    "common implementations; false: netpol-analyzer)")
        ->default_str("true");
    cmd->add_option("--output,-o", o.output, "Write to FILE (atomically) instead of stdout");
    cmd->add_flag(
        "--skip-invalid", o.skip_invalid, "Count and skip invalid objects instead of failing");
    cmd->add_flag("--quiet,-q", o.quiet, "No summary or warnings on stderr");
    return cmd;
}

int runConnectivity(const ConnectivityCommandOptions& options,
                    std::ostream& out,
                    std::ostream& err) {
    constexpr std::string_view kPrefix = "netpolgen connectivity: ";
    InputOptions input;
    input.cluster_paths = options.cluster_paths;
    input.skip_invalid = options.skip_invalid;
    if (auto st = addLiveCluster(options.live, input, err, options.quiet); !st) {
        err << kPrefix << st.error() << "\n";
        return kExitBadInput;
    }
    auto loaded = loadInputs(input);
    if (!loaded) {
        err << kPrefix << loaded.error() << "\n";
        return kExitBadInput;
    }
    core::Cluster& cluster = (*loaded)->cluster;
    std::vector<std::string> warnings = (*loaded)->warnings;
    const auto& stats = (*loaded)->manifest_stats;
    warnings.insert(warnings.end(), stats.warnings.begin(), stats.warnings.end());
    if (core::Status st = applyPolicyFiles(options, cluster, warnings); !st) {
        err << kPrefix << st.error() << "\n";
        return kExitBadInput;
    }
    ConnectivityRenderOptions render;
    render.format = options.format == "svg" ? "dot" : options.format;
    if (!options.focus.empty()) {
        auto focus = findFocusWorkload(cluster, options.focus);
        if (!focus) {
            err << kPrefix << focus.error() << "\n";
            return kExitBadInput;
        }
        render.focus = *focus;
    }
    std::vector<const core::NetworkPolicy*> policies;
    policies.reserve(cluster.policies.size());
    for (const auto& p : cluster.policies) {
        policies.push_back(&p.policy);
    }
    core::ConnectivityOptions connectivity;
    connectivity.ipblock_matches_pods = options.ipblock_matches_pods;
    connectivity.host_network_exempt = options.host_network_exempt;
    const core::ConnectivityMap map(cluster, policies, connectivity);
    std::vector<core::WorkloadExposure> exposure;
    if (options.exposure) {
        exposure = core::computeExposure(cluster, policies);
        render.exposure = &exposure;
    }
    auto text = renderConnectivity(cluster, map, render);
    if (!text) {
        err << kPrefix << text.error() << "\n";
        return kExitBadInput;
    }
    if (options.format == "svg") {
        text = renderSvg(*text);
        if (!text) {
            err << kPrefix << text.error() << "\n";
            return kExitFailure;
        }
    }
    if (core::Status st = writeOutput(options.output, *text, out); !st) {
        err << kPrefix << st.error() << "\n";
        return kExitFailure;
    }
    if (!options.quiet) {
        for (const auto& w : warnings) {
            err << "warning: " << w << "\n";
        }
        err << kPrefix << cluster.workloads.size() << " workloads in " << map.classCount()
            << " classes, " << policies.size() << " network policies, " << map.ingressAtomCount()
            << "+" << map.egressAtomCount() << " external ranges (ingress+egress)\n";
    }
    return kExitOk;
}

}  // namespace netpolgen::cli
