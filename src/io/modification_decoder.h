// Reading a Modification back: what `netpolgen generate` wrote, or policies a user uploads.
//
// Accepted texts (detected from the content, not from the file name):
//   YAML, as `netpolgen generate` prints it: comment lines
//       # kubectl -n NS delete networkpolicy NAME        → Modification::to_delete
//       # kubectl label namespace NS KEY=VALUE           → Modification::namespace_labels
//     (at the start of a line, anywhere in the text; other comments are ignored), and
//     `---`-separated NetworkPolicy documents → Modification::apply, in document order;
//   JSON, as `netpolgen generate --format json` prints it:
//       {"apply":[<NetworkPolicy>…],"toDelete":[{"namespace":…,"name":…}…],
//        "namespaceLabels":[{"namespace":…,"labels":{KEY:VALUE…}}…]}
//     every key optional, no other key; StackRox's "applyYaml" (a YAML string of policies, read
//     as above) is accepted as well;
//   plain policies, an uploaded file (the UI's "Upload a network policy YAML"): NetworkPolicy
//     documents, `List` / `NetworkPolicyList` objects with items, YAML or JSON; no deletions.
// Policies are decoded and validated as loadManifests does (io/manifest_decoder.h), names and
// namespaces as the API server checks them (core/kubernetes_names.h); so are the namespace and
// name of each deletion and the namespace, keys and values of namespace labels. Objects of
// other kinds are refused. Each must name
// its namespace (docs/stackrox-generator.md §4.1 item 1) unless a default namespace is given, as
// `kubectl apply -n NS` would. A policy that appears twice is left to core::planModification.
//
// Errors read "FILE:LINE: …", e.g.
//   np.yaml:6: NetworkPolicy web: metadata.namespace: yamls tested against must apply to a
//     namespace (--default-namespace NS sets one)
//   gen.yaml:1: expected "# kubectl -n NAMESPACE delete networkpolicy NAME", got "# kubectl -n x"
//
//   auto m = loadModification("generated.yaml", {});
//   if (!m) { fail(m.error()); }
//   simulate(cluster, m->modification, &graph, {});
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cluster.h"
#include "core/generator.h"
#include "core/result.h"

namespace netpolgen::io {

struct ModificationOptions {
    // The namespace of a policy that names none. Empty: such a policy is an error.
    std::string default_namespace;
    // Only the JSON object form, without "applyYaml", and no comment lines: how the store keeps
    // modifications (store/cluster_history.h), so that no name or string can be read back as
    // another document or command.
    bool structured = false;
};

struct DecodedModification {
    core::Modification modification;
    std::vector<core::Origin> apply_origins;      // "FILE:LINE" per Modification::apply
    std::vector<core::Origin> to_delete_origins;  // per Modification::to_delete
    std::vector<std::string> files;               // the files read, in order
};

// Decodes one text and appends to `out`. `name` names it in messages and origins.
core::Status decodeModification(std::string_view text,
                                std::string_view name,
                                const ModificationOptions& options,
                                DecodedModification& out);

// A file, or every .yaml/.yml/.json file below a directory (sorted by path), appended to `out`.
core::Status loadModification(const std::string& path,
                              const ModificationOptions& options,
                              DecodedModification& out);

}  // namespace netpolgen::io
