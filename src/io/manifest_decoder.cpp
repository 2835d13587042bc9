#include "io/manifest_decoder.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "core/ip_address.h"
#include "core/kubernetes_names.h"
#include "core/label_selector.h"
#include "core/protocol.h"
#include "io/json_list_items.h"
#include "io/manifest_fields.h"
#include "io/manifest_kinds.h"
#include "io/manifest_meta.h"
#include "io/manifest_policies.h"
#include "io/manifest_services.h"
#include "io/manifest_workloads.h"

namespace netpolgen::io {
namespace {

using core::Error;
using core::quotedText;
using core::shortText;
using core::Status;
using detail::contains;
using detail::decodeNamespace;
using detail::decodePod;
using detail::decodePolicy;
using detail::decodeRoute;
using detail::decodeService;
using detail::decodeWorkload;
using detail::groupServes;
using detail::isBuiltinGroup;
using detail::isDecodedKind;
using detail::isListKind;
using detail::isNullNode;
using detail::kSkippedBuiltinKinds;
using detail::listField;
using detail::ObjectContext;
using detail::present;
using detail::shown;
using detail::stringField;
using detail::typeName;
using detail::typeOf;
using detail::ValueType;

constexpr size_t kMaxFileBytes = size_t{256} << 20;

constexpr size_t kMaxInvalidExamples = 10;

// ---------------------------------------------------------------------------------------------
// Objects and documents

struct TypeMeta {
    std::string kind;
    std::string api_version;
    std::string group;
};

// Fills the context's names for messages without judging them (types are checked later).
void describeObject(ObjectContext& c, const SourceNode& obj, std::string_view kind) {
    auto text = [](const SourceNode* n) {
        return n != nullptr && typeOf(*n) == ValueType::kString ? n->value : std::string();
    };
    c.line = obj.line;
    c.kind = std::string(kind);
    if (std::string written = text(present(obj, "kind")); !written.empty()) {
        c.kind = std::move(written);
    }
    const SourceNode* md = present(obj, "metadata");
    if (md != nullptr) {
        c.name = text(present(*md, "name"));
    }
    if (c.kind == "Namespace") {
        return;
    }
    if (md != nullptr) {
        c.ns = text(present(*md, "namespace"));
    }
    if (c.ns.empty() && isDecodedKind(c.kind)) {
        c.ns = "default";
    }
}

// kind and apiVersion, falling back to what a typed list's items inherit.
bool decodeTypeMeta(ObjectContext& c,
                    const SourceNode& obj,
                    std::string_view inherited_kind,
                    std::string_view inherited_api_version,
                    TypeMeta& out) {
    out.kind = std::string(inherited_kind);
    out.api_version = std::string(inherited_api_version);
    if (!stringField(c, obj, "kind", "kind", out.kind) ||
        !stringField(c, obj, "apiVersion", "apiVersion", out.api_version)) {
        return false;
    }
    if (out.kind.empty()) {
        return c.fail(obj, "kind", "Required value: every object needs apiVersion and kind");
    }
    if (out.api_version.empty()) {
        return c.fail(obj, "apiVersion", "Required value: every object needs apiVersion and kind");
    }
    const size_t slash = out.api_version.find('/');
    if (slash != std::string::npos) {
        out.group = out.api_version.substr(0, slash);
    }
    const bool malformed =
        slash == 0 || slash + 1 == out.api_version.size() ||
        (slash != std::string::npos && out.api_version.find('/', slash + 1) != std::string::npos);
    if (malformed) {
        const SourceNode* at = present(obj, "apiVersion");
        return c.fail(
            at != nullptr ? *at : obj,
            "apiVersion",
            "Invalid value: " + quotedText(out.api_version) + ": must be VERSION or GROUP/VERSION");
    }
    return true;
}

std::string formatParseError(std::string_view name, const std::string& message) {
    // "line L, column C: what" → "NAME:L:C: what"
    constexpr std::string_view kLine = "line ";
    constexpr std::string_view kColumn = ", column ";
    auto digitsAt = [&](size_t pos) {
        size_t end = pos;
        while (end < message.size() && message[end] >= '0' && message[end] <= '9') {
            ++end;
        }
        return end;
    };
    if (message.compare(0, kLine.size(), kLine) == 0) {
        const size_t line_end = digitsAt(kLine.size());
        if (line_end > kLine.size() && message.compare(line_end, kColumn.size(), kColumn) == 0) {
            const size_t col_start = line_end + kColumn.size();
            const size_t col_end = digitsAt(col_start);
            if (col_end > col_start && message.compare(col_end, 2, ": ") == 0) {
                return std::string(name) + ":" +
                       message.substr(kLine.size(), line_end - kLine.size()) + ":" +
                       message.substr(col_start, col_end - col_start) + ": " +
                       message.substr(col_end + 2);
            }
        }
    }
    return std::string(name) + ": " + message;
}

// What the items of a typed List inherit ("PodList" → "Pod"; empty for a plain "List").
struct ListElement {
    std::string kind;
    std::string api_version;
};

class Decoder {
public:
    Decoder(std::string_view name,
            const ManifestOptions& options,
            core::ClusterObjects& out,
            ManifestStats& stats)
        : name_(name), options_(options), out_(out), stats_(stats) {}

    // Decodes one document (an object or a list); false with error() set when decoding must stop.
    bool decodeDocument(const SourceNode& doc) { return decodeFrom({&doc, {}, {}}); }

    // The head of a List whose items come one by one (its "items" empty): true with `element` set
    // to the kind and apiVersion its items inherit when it is decoded as a list.
    bool decodeListHead(const SourceNode& head, std::optional<ListElement>& element) {
        last_list_.reset();
        const bool ok = decodeDocument(head);
        element = std::move(last_list_);
        return ok;
    }

    // One item of such a List.
    bool decodeListItem(const SourceNode& item, const ListElement& element) {
        return decodeFrom({&item, element.kind, element.api_version});
    }

    const std::string& error() const { return error_; }

private:
    struct Pending {
        const SourceNode* node;
        std::string kind;         // inherited from a typed list, else empty
        std::string api_version;  // likewise
    };

    bool decodeFrom(Pending first) {
        // Lists are unwrapped with an explicit stack (no recursion); items keep document order.
        std::vector<Pending> stack;
        stack.push_back(std::move(first));
        while (!stack.empty()) {
            Pending p = std::move(stack.back());
            stack.pop_back();
            std::vector<Pending> items;
            ObjectContext c{name_, {}, {}, {}, 0, std::nullopt};
            c.lenient_ports = options_.lenient_ports;
            c.warnings = &stats_.warnings;
            if (!decodeObject(c, *p.node, p.kind, p.api_version, items)) {
                if (!invalid(c.message())) {
                    return false;
                }
                continue;
            }
            for (auto it = items.rbegin(); it != items.rend(); ++it) {
                stack.push_back(std::move(*it));
            }
        }
        return true;
    }

    // Counts an invalid object with skip_invalid (true: go on), else keeps the error (false).
    bool invalid(const std::string& message) {
        if (!options_.skip_invalid) {
            error_ = message;
            return false;
        }
        ++stats_.invalid;
        if (stats_.invalid_examples.size() < kMaxInvalidExamples) {
            stats_.invalid_examples.push_back(message);
        }
        return true;
    }

    void skip(const std::string& key, const std::string& warning) {
        size_t& count = stats_.skipped_kinds[key];
        if (count == 0 && !warning.empty()) {
            stats_.warnings.push_back(warning);
        }
        ++count;
    }

    // Decodes one object, or collects a list's items into `items`.
    bool decodeObject(ObjectContext& c,
                      const SourceNode& obj,
                      const std::string& inherited_kind,
                      const std::string& inherited_api_version,
                      std::vector<Pending>& items) {
        c.line = obj.line;
        if (!obj.isMapping()) {
            const std::string what =
                obj.isSequence() ? "a list" : (isNullNode(obj) ? "null" : "a scalar " + shown(obj));
            c.error = std::string(name_) + ":" + std::to_string(obj.line) +
                      ": expected a Kubernetes object (a map with apiVersion and kind), got " +
                      what;
            return false;
        }
        describeObject(c, obj, inherited_kind);
        TypeMeta tm;
        if (!decodeTypeMeta(c, obj, inherited_kind, inherited_api_version, tm)) {
            return false;
        }
        const std::string origin = std::string(name_) + ":" + std::to_string(obj.line);
        const bool builtin = isBuiltinGroup(tm.group);
        if (isListKind(tm.kind) && (obj.find("items") != nullptr || builtin)) {
            const SourceNode* list = nullptr;
            if (!listField(c, obj, "items", "items", list)) {
                return false;
            }
            if (list == nullptr) {
                return true;
            }
            const std::string element =
                tm.kind == "List" ? std::string() : tm.kind.substr(0, tm.kind.size() - 4);
            const std::string element_api = tm.kind == "List" ? std::string() : tm.api_version;
            last_list_ = ListElement{element, element_api};
            for (const SourceNode& item : list->children) {
                items.push_back({&item, element, element_api});
            }
            return true;
        }
        if (isDecodedKind(tm.kind) && groupServes(tm.kind, tm.group)) {
            if (!decodeKnown(c, obj, tm.kind, origin)) {
                return false;
            }
            ++stats_.objects;
            return true;
        }
        if (builtin) {
            if (contains(kSkippedBuiltinKinds, tm.kind)) {
                skip(tm.kind, {});
                return true;
            }
            const SourceNode* at = present(obj, "kind");
            return c.fail(at != nullptr ? *at : obj,
                          "",
                          "unknown kind " + quotedText(tm.kind) + " in apiVersion " +
                              shortText(tm.api_version));
        }
        skip(tm.kind + "." + tm.group,
             origin + ": skipped " + shortText(tm.kind) + " (" + shortText(tm.api_version) +
                 "): not a built-in Kubernetes kind; objects of this kind are ignored");
        return true;
    }

    bool decodeKnown(ObjectContext& c,
                     const SourceNode& obj,
                     const std::string& kind,
                     const std::string& origin) {
        if (kind == "Namespace") {
            core::Namespace ns;
            ns.origin = origin;
            if (!decodeNamespace(c, obj, ns)) {
                return false;
            }
            out_.namespaces.push_back(std::move(ns));
        } else if (kind == "Pod") {
            core::Pod pod;
            pod.origin = origin;
            if (!decodePod(c, obj, pod)) {
                return false;
            }
            out_.pods.push_back(std::move(pod));
        } else if (kind == "Service") {
            core::Service svc;
            svc.origin = origin;
            if (!decodeService(c, obj, svc)) {
                return false;
            }
            out_.services.push_back(std::move(svc));
        } else if (kind == "Route") {
            core::Route route;
            route.origin = origin;
            if (!decodeRoute(c, obj, route)) {
                return false;
            }
            out_.routes.push_back(std::move(route));
        } else if (kind == "NetworkPolicy") {
            core::PolicyObject policy;
            policy.origin = origin;
            if (!decodePolicy(c, obj, policy.policy)) {
                return false;
            }
            out_.policies.push_back(std::move(policy));
        } else {
            auto workload_kind = core::parseWorkloadKind(kind);
            if (!workload_kind) {
                return c.fail(obj, "kind", "Unsupported value: " + quotedText(kind));
            }
            core::Workload w;
            w.origin = origin;
            if (!decodeWorkload(c, obj, *workload_kind, w)) {
                return false;
            }
            out_.workloads.push_back(std::move(w));
        }
        return true;
    }

    std::string_view name_;
    const ManifestOptions& options_;
    core::ClusterObjects& out_;
    ManifestStats& stats_;
    std::string error_;
    std::optional<ListElement> last_list_;  // the element kind of the last list decoded
};

// ---------------------------------------------------------------------------------------------
// Files

std::string errnoText(int err) {
    return std::error_code(err, std::generic_category()).message();
}

core::Result<std::string> readFile(const std::string& path) {
    const std::string prefix = "cannot read " + path + ": ";
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return Error{prefix + errnoText(errno)};
    }
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return Error{prefix + errnoText(errno)};
    }
    if (!S_ISREG(st.st_mode)) {
        return Error{prefix + (S_ISDIR(st.st_mode) ? errnoText(EISDIR) : "not a regular file")};
    }
    const auto too_large = [&] {
        return Error{prefix + "larger than 256 MiB, the limit for one manifest file"};
    };
    if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
        return too_large();
    }
    std::string data(static_cast<size_t>(st.st_size), '\0');
    size_t used = 0;
    for (;;) {
        if (used == data.size()) {
            // The file may have grown since fstat: read on, up to the limit.
            if (data.size() > kMaxFileBytes) {
                return too_large();
            }
            data.resize(std::min(kMaxFileBytes + 1, std::max<size_t>(data.size() * 2, 4096)));
        }
        const ssize_t n = ::read(fd, data.data() + used, data.size() - used);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return Error{prefix + errnoText(errno)};
        }
        if (n == 0) {
            break;
        }
        used += static_cast<size_t>(n);
    }
    if (used > kMaxFileBytes) {
        return too_large();
    }
    data.resize(used);
    return data;
}

bool hasManifestExtension(const std::string& file) {
    auto ends = [&](std::string_view ext) {
        return file.size() > ext.size() &&
               file.compare(file.size() - ext.size(), ext.size(), ext) == 0;
    };
    return ends(".yaml") || ends(".yml") || ends(".json");
}

core::Result<std::vector<std::string>> listManifestFiles(const std::string& dir) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) {
        return Error{"cannot read " + dir + ": " + ec.message()};
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) {
            break;
        }
        const fs::path& p = it->path();
        std::error_code type_ec;
        if (it->is_directory(type_ec) || !hasManifestExtension(p.filename().string())) {
            continue;
        }
        files.push_back(p.string());
    }
    if (ec) {
        return Error{"cannot read " + dir + ": " + ec.message()};
    }
    std::sort(files.begin(), files.end());
    return files;
}

// ---------------------------------------------------------------------------------------------
// A JSON List, one item at a time

// A position in text, counted as the parser counts (io/source_tree.cpp): lines broken by LF, CR LF
// or a lone CR; columns in characters.
struct TextCursor {
    size_t pos = 0;
    uint32_t line = 1;
    uint32_t column = 1;

    void advanceTo(std::string_view text, size_t to) {
        for (; pos < to; ++pos) {
            const auto c = static_cast<unsigned char>(text[pos]);
            if (c == '\n' || (c == '\r' && (pos + 1 >= text.size() || text[pos + 1] != '\n'))) {
                ++line;
                column = 1;
            } else if (c != '\r' && (c & 0xC0u) != 0x80u) {
                ++column;
            }
        }
    }
};

// The list's text with its items left out but every line and column after them where it was, so
// that the head's positions (and messages) are those of the whole text.
std::string headKeepingPositions(const JsonListItems& list) {
    TextCursor at_open;
    at_open.advanceTo(list.text, list.items_begin + 1);
    TextCursor at_close = at_open;
    at_close.advanceTo(list.text, list.items_end - 1);
    std::string out(list.text.substr(0, list.items_begin + 1));
    out.append(at_close.line - at_open.line, '\n');
    out.append(
        at_close.line == at_open.line ? at_close.column - at_open.column : at_close.column - 1,
        ' ');
    out.append(list.text.substr(list.items_end - 1));
    return out;
}

// Moves the positions of a tree parsed from an item to where the item stands in the whole text.
void shiftPositions(SourceNode& root, const TextCursor& start) {
    std::vector<SourceNode*> stack{&root};
    while (!stack.empty()) {
        SourceNode* n = stack.back();
        stack.pop_back();
        if (n->line == 1) {
            n->column += start.column - 1;
        }
        n->line += start.line - 1;
        for (SourceNode& child : n->children) {
            stack.push_back(&child);
        }
    }
}

// Counts an input that cannot be parsed (with skip_invalid), else the error.
Status unparsable(std::string message, const ManifestOptions& options, ManifestStats& stats) {
    if (!options.skip_invalid) {
        return Error{std::move(message)};
    }
    ++stats.invalid;
    if (stats.invalid_examples.size() < kMaxInvalidExamples) {
        stats.invalid_examples.push_back(std::move(message));
    }
    return {};
}

// Strict JSON, as simdjson reads it (the tree parser falls back to YAML where JSON fails, and a
// piece of a text read as YAML alone may not read as it does within the whole).
bool isStrictJson(simdjson::dom::parser& parser, std::string_view text) {
    simdjson::dom::element root;
    return parser.parse(text.data(), text.size()).get(root) == simdjson::SUCCESS;
}

// What decodeManifests has appended, to be taken back.
struct Appended {
    explicit Appended(const core::ClusterObjects& out, const ManifestStats& stats)
        : namespaces(out.namespaces.size()),
          workloads(out.workloads.size()),
          pods(out.pods.size()),
          services(out.services.size()),
          routes(out.routes.size()),
          policies(out.policies.size()),
          stats(stats) {}

    void undo(core::ClusterObjects& out, ManifestStats& s) const {
        out.namespaces.resize(namespaces);
        out.workloads.resize(workloads);
        out.pods.resize(pods);
        out.services.resize(services);
        out.routes.resize(routes);
        out.policies.resize(policies);
        s = stats;
    }

    size_t namespaces, workloads, pods, services, routes, policies;
    ManifestStats stats;
};

// A JSON List decoded item by item: each item's tree is built, decoded and dropped before the
// next, so memory follows the largest item instead of the whole list (50,000 pods: a 150 MB text,
// a tree of some 1.5 GB). Nothing when the text is not such a list, or its head or an item is not
// strict JSON or does not parse alone: then what was appended is taken back and the text is read
// whole, which decodes it or says what is wrong exactly as before.
std::optional<Status> decodeListByItems(std::string_view text,
                                        std::string_view name,
                                        const ManifestOptions& options,
                                        core::ClusterObjects& out,
                                        ManifestStats& stats) {
    auto list = splitJsonList(text);
    if (!list) {
        return std::nullopt;
    }
    simdjson::dom::parser json;
    const std::string head_text = headKeepingPositions(*list);
    if (!isStrictJson(json, head_text)) {
        return std::nullopt;
    }
    auto head = parseDocuments(head_text, ParseLimits{});
    if (!head || head->size() != 1) {
        return std::nullopt;
    }
    ParseLimits item_limits;
    item_limits.max_depth -= 2;  // an item is nested in the list's object and its array
    auto parseItem = [&](std::string_view item) {
        return isStrictJson(json, item)
                   ? parseDocuments(item, item_limits)
                   : core::Result<std::vector<SourceNode>>(core::Error{"not JSON"});
    };
    // Read whole, a text that does not parse fails before any object is decoded: so what was
    // decided before the last item (an object's error, a head that is no list) stands only when
    // no later item breaks the parse.
    auto laterItemsParse = [&](size_t next_item) {
        for (size_t i = next_item; i < list->items.size(); ++i) {
            if (!parseItem(list->items[i])) {
                return false;
            }
        }
        return true;
    };
    auto failure = [&](size_t next_item, std::string error) -> std::optional<Status> {
        if (!laterItemsParse(next_item)) {
            return std::nullopt;
        }
        return Status{Error{std::move(error)}};
    };
    const Appended before(out, stats);
    ++stats.documents;
    Decoder decoder(name, options, out, stats);
    std::optional<ListElement> element;
    if (!decoder.decodeListHead(head->front(), element)) {
        auto failed = failure(0, decoder.error());
        if (!failed) {
            before.undo(out, stats);
        }
        return failed;
    }
    if (!element) {
        // Not decoded as a list (skipped, or invalid and counted): its items are not objects.
        if (!laterItemsParse(0)) {
            before.undo(out, stats);
            return std::nullopt;
        }
        return Status{};
    }
    TextCursor cursor;
    for (size_t i = 0; i < list->items.size(); ++i) {
        const std::string_view item = list->items[i];
        cursor.advanceTo(text, static_cast<size_t>(item.data() - text.data()));
        auto docs = parseItem(item);
        if (!docs) {
            before.undo(out, stats);
            return std::nullopt;
        }
        for (SourceNode& doc : *docs) {
            shiftPositions(doc, cursor);
            if (!decoder.decodeListItem(doc, *element)) {
                auto failed = failure(i + 1, decoder.error());
                if (!failed) {
                    before.undo(out, stats);
                }
                return failed;
            }
        }
    }
    return Status{};
}

}  // namespace

core::Status decodeManifests(std::string_view text,
                             std::string_view name,
                             const ManifestOptions& options,
                             core::ClusterObjects& out,
                             ManifestStats& stats) {
    ++stats.files;
    if (auto by_items = decodeListByItems(text, name, options, out, stats)) {
        return *by_items;
    }
    auto docs = parseDocuments(text, ParseLimits{});
    if (!docs) {
        return unparsable(formatParseError(name, docs.error()), options, stats);
    }
    if (docs->empty()) {
        stats.warnings.push_back(std::string(name) + ": no Kubernetes objects (empty file)");
        return {};
    }
    stats.documents += docs->size();
    Decoder decoder(name, options, out, stats);
    for (const SourceNode& doc : *docs) {
        if (!decoder.decodeDocument(doc)) {
            return Error{decoder.error()};
        }
    }
    return {};
}

core::Result<std::vector<std::string>> manifestFiles(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec) {
        return Error{"cannot read " + path + ": " + ec.message()};
    }
    if (!std::filesystem::is_directory(status)) {
        return std::vector<std::string>{path};
    }
    auto listed = listManifestFiles(path);
    if (!listed) {
        return Error{listed.error()};
    }
    if (listed->empty()) {
        return Error{"no .yaml, .yml or .json files in " + path};
    }
    return listed;
}

core::Result<std::string> readManifestFile(const std::string& path) {
    return readFile(path);
}

core::Status loadManifests(const std::string& path,
                           const ManifestOptions& options,
                           core::ClusterObjects& out,
                           ManifestStats& stats) {
    auto files = manifestFiles(path);
    if (!files) {
        return Error{files.error()};
    }
    for (const std::string& file : *files) {
        auto text = readFile(file);
        if (!text) {
            return Error{text.error()};
        }
        if (auto st = decodeManifests(*text, file, options, out, stats); !st) {
            return st;
        }
    }
    return {};
}

core::Result<core::NetworkPolicy> decodeNetworkPolicy(const SourceNode& object,
                                                      std::string_view name) {
    ObjectContext c{name, {}, {}, {}, object.line, std::nullopt};
    if (!object.isMapping()) {
        return Error{std::string(name) + ":" + std::to_string(object.line) +
                     ": expected a NetworkPolicy object (a map), got " +
                     std::string(typeName(typeOf(object)))};
    }
    describeObject(c, object, "NetworkPolicy");
    TypeMeta tm;
    if (!decodeTypeMeta(c, object, {}, {}, tm)) {
        return Error{c.message()};
    }
    if (tm.kind != "NetworkPolicy" || !groupServes(tm.kind, tm.group)) {
        const SourceNode* at = present(object, "kind");
        c.fail(at != nullptr ? *at : object,
               "",
               "expected kind NetworkPolicy in apiVersion networking.k8s.io/v1, got " +
                   quotedText(tm.kind) + " in apiVersion " + shortText(tm.api_version));
        return Error{c.message()};
    }
    core::NetworkPolicy policy;
    if (!decodePolicy(c, object, policy)) {
        return Error{c.message()};
    }
    return policy;
}

}  // namespace netpolgen::io
