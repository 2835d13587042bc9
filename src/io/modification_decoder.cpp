#include "io/modification_decoder.h"

#include <algorithm>
#include <deque>
#include <sstream>
#include <utility>

#include "core/kubernetes_names.h"
#include "io/manifest_decoder.h"
#include "io/source_tree.h"

namespace netpolgen::io {
namespace {

using core::Error;

constexpr std::string_view kNoChangesComment = "No policies need to be created or deleted.";
constexpr std::string_view kDeleteForm = "# kubectl -n NAMESPACE delete networkpolicy NAME";
constexpr std::string_view kLabelForm = "# kubectl label namespace NAMESPACE KEY=VALUE";

std::string at(std::string_view name, uint32_t line) {
    return std::string(name) + ":" + std::to_string(line);
}

std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    std::string w;
    while (in >> w) {
        out.push_back(std::move(w));
    }
    return out;
}

bool isNetworkPolicyResource(std::string_view word) {
    return word == "networkpolicy" || word == "networkpolicies" || word == "netpol";
}

// The first name of a deletion or label entry that the API server would refuse, as its field error
// ("toDelete[0].name: Invalid value: …"); nothing when all are valid. `path` ends with a dot or
// is empty, so that comment lines report "namespace: …" and JSON entries "toDelete[0].namespace".
std::optional<std::string> refProblem(const std::string& path,
                                      const std::string& ns,
                                      const std::string& name) {
    if (auto problem = core::dns1123LabelProblem(ns)) {
        return core::invalidValue(path + "namespace", ns, *problem);
    }
    if (auto problem = core::dns1123SubdomainProblem(name)) {
        return core::invalidValue(path + "name", name, *problem);
    }
    return std::nullopt;
}

std::optional<std::string> labelProblem(const std::string& path, const core::NamespaceLabel& l) {
    if (auto problem = core::dns1123LabelProblem(l.ns)) {
        return core::invalidValue(path + "namespace", l.ns, *problem);
    }
    if (auto problem = core::labelKeyProblem(l.key)) {
        return core::invalidValue(path + "labels", l.key, *problem);
    }
    if (auto problem = core::labelValueProblem(l.value)) {
        return core::invalidValue(path + "labels", l.value, *problem);
    }
    return std::nullopt;
}

// The "# kubectl …" lines of a generated modification. Returns whether any line was recognised
// (the "no changes" comment included).
core::Result<bool> readCommentLines(std::string_view text,
                                    std::string_view name,
                                    DecodedModification& out) {
    bool recognised = false;
    uint32_t line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.empty() || line.front() != '#') {
            continue;
        }
        const std::vector<std::string> w = words(line.substr(1));
        if (w.size() >= 2 && w[0] == "kubectl" && w[1] == "label") {
            const size_t eq = w.size() == 5 ? w[4].find('=') : std::string::npos;
            if (w.size() != 5 || w[2] != "namespace" || eq == 0 || eq == std::string::npos) {
                return Error{at(name, line_no) + ": expected \"" + std::string(kLabelForm) +
                             "\", got \"" + std::string(line) + "\""};
            }
            core::NamespaceLabel label{w[3], w[4].substr(0, eq), w[4].substr(eq + 1)};
            if (auto problem = labelProblem("", label)) {
                return Error{at(name, line_no) + ": kubectl label namespace: " + *problem};
            }
            out.modification.namespace_labels.push_back(std::move(label));
            recognised = true;
            continue;
        }
        const bool deletes = w.size() >= 2 && w[0] == "kubectl" &&
                             std::find(w.begin(), w.end(), "delete") != w.end();
        if (deletes) {
            const bool ok = w.size() == 6 && (w[1] == "-n" || w[1] == "--namespace") &&
                            w[3] == "delete" && isNetworkPolicyResource(w[4]);
            if (!ok) {
                return Error{at(name, line_no) + ": expected \"" + std::string(kDeleteForm) +
                             "\", got \"" + std::string(line) + "\""};
            }
            if (auto problem = refProblem("", w[2], w[5])) {
                return Error{at(name, line_no) + ": kubectl delete networkpolicy: " + *problem};
            }
            out.modification.to_delete.push_back({w[2], w[5]});
            out.to_delete_origins.push_back(at(name, line_no));
            recognised = true;
            continue;
        }
        std::string_view rest = line.substr(1);
        while (!rest.empty() && rest.front() == ' ') {
            rest.remove_prefix(1);
        }
        recognised = recognised || rest == kNoChangesComment;
    }
    return recognised;
}

bool hasNamespace(const SourceNode& object) {
    const SourceNode* md = object.find("metadata");
    if (md == nullptr || !md->isMapping()) {
        return false;
    }
    const SourceNode* ns = md->find("namespace");
    return ns != nullptr && ns->isScalar() && !isNull(*ns) && !ns->value.empty();
}

std::string stringValue(const SourceNode* node) {
    return node != nullptr && node->isScalar() && !isNull(*node) ? node->value : std::string();
}

bool isListKind(std::string_view kind) {
    return kind.size() >= 4 && kind.substr(kind.size() - 4) == "List";
}

class ModificationReader {
public:
    ModificationReader(std::string_view name,
                       const ModificationOptions& options,
                       DecodedModification& out)
        : name_(name), options_(options), out_(out) {}

    // A NetworkPolicy, or a List / NetworkPolicyList of them (items inherit the list's element
    // kind and apiVersion when they omit them, as the API server returns them).
    core::Status readObjects(const SourceNode& doc) {
        std::vector<const SourceNode*> pending{&doc};
        while (!pending.empty()) {
            const SourceNode* obj = pending.back();
            pending.pop_back();
            const std::string kind = stringValue(obj->find("kind"));
            const SourceNode* items = obj->find("items");
            if (!isListKind(kind) || items == nullptr) {
                if (auto st = readPolicy(*obj); !st) {
                    return st;
                }
                continue;
            }
            if (!items->isSequence()) {
                return Error{at(name_, items->line) + ": " + kind + ": items: expected a list"};
            }
            const std::string element = kind == "List" ? "" : kind.substr(0, kind.size() - 4);
            const std::string api_version = stringValue(obj->find("apiVersion"));
            // Reversed onto the stack, so items keep document order.
            for (auto it = items->children.rbegin(); it != items->children.rend(); ++it) {
                pending.push_back(withTypeMeta(*it, element, api_version));
            }
        }
        return {};
    }

    // {"apply": […], "applyYaml": "…", "toDelete": […], "namespaceLabels": […]}
    core::Status readModificationObject(const SourceNode& doc) {
        for (const SourceNode& entry : doc.children) {
            core::Status st;
            if (entry.key == "apply") {
                st = readApply(entry);
            } else if (entry.key == "applyYaml" && !options_.structured) {
                st = readApplyYaml(entry);
            } else if (entry.key == "toDelete") {
                st = readToDelete(entry);
            } else if (entry.key == "namespaceLabels") {
                st = readNamespaceLabels(entry);
            } else {
                st = Error{at(name_, entry.line) + ": unknown key \"" + entry.key +
                           "\" (expected apply, applyYaml, toDelete, namespaceLabels)"};
            }
            if (!st) {
                return st;
            }
        }
        return {};
    }

private:
    const SourceNode* withTypeMeta(const SourceNode& item,
                                   const std::string& kind,
                                   const std::string& api_version) {
        if (kind.empty() || !item.isMapping() || item.find("kind") != nullptr) {
            return &item;
        }
        SourceNode copy = item;
        for (const auto& [key, value] : {std::pair{"kind", kind}, {"apiVersion", api_version}}) {
            if (copy.find(key) == nullptr) {
                SourceNode field;
                field.key = key;
                field.value = value;
                field.quoted = true;
                field.line = item.line;
                copy.children.push_back(std::move(field));
            }
        }
        synthesised_.push_back(std::move(copy));
        return &synthesised_.back();
    }

    core::Status readPolicy(const SourceNode& obj) {
        auto policy = decodeNetworkPolicy(obj, name_);
        if (!policy) {
            return Error{policy.error()};
        }
        if (!hasNamespace(obj)) {
            if (options_.default_namespace.empty()) {
                const SourceNode* md = obj.find("metadata");
                const uint32_t line = md != nullptr && md->line != 0 ? md->line : obj.line;
                return Error{at(name_, line) + ": NetworkPolicy " + policy->name +
                             ": metadata.namespace: yamls tested against must apply to a "
                             "namespace (--default-namespace NS sets one)"};
            }
            policy->ns = options_.default_namespace;
            if (auto problem = core::dns1123LabelProblem(policy->ns)) {
                return Error{at(name_, obj.line) + ": NetworkPolicy " + policy->name + ": " +
                             core::invalidValue("--default-namespace", policy->ns, *problem)};
            }
        }
        out_.modification.apply.push_back(std::move(*policy));
        out_.apply_origins.push_back(at(name_, obj.line));
        return {};
    }

    core::Status expectSequence(const SourceNode& node) const {
        if (node.isSequence()) {
            return {};
        }
        return Error{at(name_, node.line) + ": " + node.key + ": expected a list"};
    }

    core::Status readApply(const SourceNode& node) {
        if (auto st = expectSequence(node); !st) {
            return st;
        }
        for (const SourceNode& item : node.children) {
            if (auto st = readPolicy(item); !st) {
                return st;
            }
        }
        return {};
    }

    core::Status readApplyYaml(const SourceNode& node) {
        if (!node.isScalar()) {
            return Error{at(name_, node.line) + ": applyYaml: expected a string"};
        }
        // StackRox sends "" when a modification only deletes: no policies, not an empty input.
        if (node.value.find_first_not_of(" \t\r\n") == std::string::npos) {
            return {};
        }
        const std::string inner = std::string(name_) + " (applyYaml)";
        return decodeModification(node.value, inner, options_, out_);
    }

    core::Status readToDelete(const SourceNode& node) {
        if (auto st = expectSequence(node); !st) {
            return st;
        }
        for (size_t i = 0; i < node.children.size(); ++i) {
            const SourceNode& ref = node.children[i];
            const std::string path = "toDelete[" + std::to_string(i) + "]";
            if (!ref.isMapping()) {
                return Error{at(name_, ref.line) + ": " + path +
                             ": expected {\"namespace\": …, \"name\": …}"};
            }
            const std::string ns = stringValue(ref.find("namespace"));
            const std::string name = stringValue(ref.find("name"));
            if (ns.empty() || name.empty()) {
                return Error{at(name_, ref.line) + ": " + path + "." +
                             (ns.empty() ? "namespace" : "name") + ": Required value"};
            }
            if (auto problem = refProblem(path + ".", ns, name)) {
                return Error{at(name_, ref.line) + ": " + *problem};
            }
            out_.modification.to_delete.push_back({ns, name});
            out_.to_delete_origins.push_back(at(name_, ref.line));
        }
        return {};
    }

    core::Status readNamespaceLabels(const SourceNode& node) {
        if (auto st = expectSequence(node); !st) {
            return st;
        }
        for (size_t i = 0; i < node.children.size(); ++i) {
            const SourceNode& item = node.children[i];
            const std::string path = "namespaceLabels[" + std::to_string(i) + "]";
            const std::string ns = item.isMapping() ? stringValue(item.find("namespace")) : "";
            const SourceNode* labels = item.isMapping() ? item.find("labels") : nullptr;
            if (ns.empty() || labels == nullptr || !labels->isMapping()) {
                return Error{at(name_, item.line) + ": " + path +
                             ": expected {\"namespace\": NS, \"labels\": {KEY: VALUE}}"};
            }
            for (const SourceNode& label : labels->children) {
                if (!label.isScalar() || label.key.empty()) {
                    return Error{at(name_, label.line) + ": " + path +
                                 ".labels: expected "
                                 "string values"};
                }
                core::NamespaceLabel l{ns, label.key, label.value};
                if (auto problem = labelProblem(path + ".", l)) {
                    return Error{at(name_, label.line) + ": " + *problem};
                }
                out_.modification.namespace_labels.push_back(std::move(l));
            }
        }
        return {};
    }

    std::string_view name_;
    const ModificationOptions& options_;
    DecodedModification& out_;
    std::deque<SourceNode> synthesised_;  // list items given their kind; stable addresses
};

bool isModificationObject(const SourceNode& doc) {
    if (!doc.isMapping() || doc.find("kind") != nullptr) {
        return false;
    }
    for (std::string_view key : {"apply", "applyYaml", "toDelete", "namespaceLabels"}) {
        if (doc.find(key) != nullptr) {
            return true;
        }
    }
    return false;
}

}  // namespace

core::Status decodeModification(std::string_view text,
                                std::string_view name,
                                const ModificationOptions& options,
                                DecodedModification& out) {
    auto docs = parseDocuments(text, ParseLimits{});
    if (!docs) {
        return Error{std::string(name) + ": " + docs.error()};
    }
    ModificationReader reader(name, options, out);
    if (options.structured) {
        // Never comment lines, never YAML inside a string: the text is one JSON object.
        if (docs->size() != 1 || !isModificationObject(docs->front())) {
            return Error{std::string(name) +
                         ": not a stored modification (one JSON object with apply, toDelete and "
                         "namespaceLabels)"};
        }
        return reader.readModificationObject(docs->front());
    }
    auto recognised = readCommentLines(text, name, out);
    if (!recognised) {
        return Error{recognised.error()};
    }
    if (docs->empty() && !*recognised) {
        return Error{std::string(name) +
                     ": no NetworkPolicy and no deletion (empty input; a modification without "
                     "changes says \"# " +
                     std::string(kNoChangesComment) + "\")"};
    }
    if (docs->size() == 1 && isModificationObject(docs->front())) {
        return reader.readModificationObject(docs->front());
    }
    for (const SourceNode& doc : *docs) {
        if (auto st = reader.readObjects(doc); !st) {
            return st;
        }
    }
    return {};
}

core::Status loadModification(const std::string& path,
                              const ModificationOptions& options,
                              DecodedModification& out) {
    auto files = manifestFiles(path);
    if (!files) {
        return Error{files.error()};
    }
    for (const std::string& file : *files) {
        auto text = readManifestFile(file);
        if (!text) {
            return Error{text.error()};
        }
        out.files.push_back(file);
        if (auto st = decodeModification(*text, file, options, out); !st) {
            return st;
        }
    }
    return {};
}

}  // namespace netpolgen::io
