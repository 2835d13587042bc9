// Reading modifications back: what `netpolgen generate` writes (YAML and JSON) round-trips, plain
// policy uploads decode, and every error names the file and line.
#include "io/modification_decoder.h"

#include <gtest/gtest.h>

#include "io/policy_encoder.h"

namespace netpolgen::io {
namespace {

using core::Modification;

core::NetworkPolicy policy(const std::string& ns, const std::string& name) {
    core::NetworkPolicy p;
    p.ns = ns;
    p.name = name;
    p.labels = {{std::string(core::kGeneratedLabelKey), "true"}};
    p.pod_selector = core::selectorFromLabels({{"app", name}});
    p.policy_types = {core::PolicyType::kIngress};
    core::PolicyRule rule;
    core::PolicyPeer peer;
    peer.pod_selector = core::selectorFromLabels({{"app", "web"}});
    peer.namespace_selector =
        core::selectorFromLabels({{std::string(core::kNamespaceNameLabel), "front"}});
    rule.peers.push_back(peer);
    rule.ports.push_back({core::Protocol::kTcp, true, core::PortValue{8080, {}}, {}});
    p.ingress.push_back(rule);
    return p;
}

Modification sample() {
    Modification m;
    m.apply = {policy("shop", "stackrox-generated-api"), policy("shop", "stackrox-generated-db")};
    m.to_delete = {{"shop", "old"}, {"other", "legacy"}};
    m.namespace_labels = {{"front", "team", "web"}};
    return m;
}

core::Result<DecodedModification> decode(std::string_view text,
                                         const ModificationOptions& options = {}) {
    DecodedModification out;
    if (auto st = decodeModification(text, "m.yaml", options, out); !st) {
        return core::Error{st.error()};
    }
    return out;
}

void expectSame(const Modification& a, const Modification& b) {
    EXPECT_EQ(a.apply, b.apply);
    EXPECT_EQ(a.to_delete, b.to_delete);
    EXPECT_EQ(a.namespace_labels, b.namespace_labels);
}

TEST(ModificationDecoder, GeneratedYamlRoundTrips) {
    const Modification m = sample();
    auto got = decode(modificationToYaml(m));
    ASSERT_TRUE(got.ok()) << got.error();
    expectSame(got->modification, m);
    EXPECT_EQ(got->to_delete_origins, (std::vector<std::string>{"m.yaml:1", "m.yaml:2"}));
    ASSERT_EQ(got->apply_origins.size(), 2u);
    EXPECT_EQ(got->apply_origins[0], "m.yaml:5");  // after 3 comment lines and "---"
}

TEST(ModificationDecoder, GeneratedJsonRoundTrips) {
    const Modification m = sample();
    auto got = decode(modificationToJson(m));
    ASSERT_TRUE(got.ok()) << got.error();
    expectSame(got->modification, m);
}

TEST(ModificationDecoder, StackRoxApplyYamlIsRead) {
    const std::string yaml = modificationToYaml(Modification{sample().apply, {}, {}});
    nlohmann::json doc = {{"applyYaml", yaml}, {"toDelete", {{{"namespace", "a"}, {"name", "b"}}}}};
    auto got = decode(doc.dump());
    ASSERT_TRUE(got.ok()) << got.error();
    EXPECT_EQ(got->modification.apply, sample().apply);
    EXPECT_EQ(got->modification.to_delete, (std::vector<core::ObjectRef>{{"a", "b"}}));
}

TEST(ModificationDecoder, AModificationWithoutChangesIsEmpty) {
    auto got = decode(modificationToYaml({}));
    ASSERT_TRUE(got.ok()) << got.error();
    EXPECT_TRUE(got->modification.apply.empty());
    EXPECT_TRUE(got->modification.to_delete.empty());
}

TEST(ModificationDecoder, AnEmptyTextIsAnError) {
    auto got = decode("# just a comment\n");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().rfind("m.yaml: no NetworkPolicy and no deletion (empty input", 0), 0u)
        << got.error();
}

constexpr std::string_view kUpload = R"(# Copyright: a license header
# kubectl apply -f this-file.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector:
    matchLabels:
      app: web
)";

TEST(ModificationDecoder, APolicyMustNameItsNamespace) {
    auto got = decode(kUpload);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error(),
              "m.yaml:6: NetworkPolicy web: metadata.namespace: yamls tested against must apply to "
              "a namespace (--default-namespace NS sets one)");
}

TEST(ModificationDecoder, ADefaultNamespaceAppliesToPoliciesWithoutOne) {
    ModificationOptions options;
    options.default_namespace = "shop";
    auto got = decode(kUpload, options);
    ASSERT_TRUE(got.ok()) << got.error();
    ASSERT_EQ(got->modification.apply.size(), 1u);
    EXPECT_EQ(got->modification.apply[0].ns, "shop");
    EXPECT_EQ(got->modification.apply[0].name, "web");
    EXPECT_TRUE(got->modification.to_delete.empty());  // other comments are not deletions
    EXPECT_EQ(got->apply_origins, (std::vector<std::string>{"m.yaml:3"}));

    const std::string named = std::string(kUpload) + "---\n" +
                              "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                              "metadata: {name: api, namespace: other}\nspec: {podSelector: {}}\n";
    got = decode(named, options);
    ASSERT_TRUE(got.ok()) << got.error();
    ASSERT_EQ(got->modification.apply.size(), 2u);
    EXPECT_EQ(got->modification.apply[1].ns, "other");  // a namespace given stays
}

TEST(ModificationDecoder, PolicyListsAreUnwrapped) {
    constexpr std::string_view kList = R"({"apiVersion": "networking.k8s.io/v1",
 "kind": "NetworkPolicyList",
 "items": [
  {"metadata": {"name": "a", "namespace": "x"}, "spec": {"podSelector": {}}},
  {"metadata": {"name": "b", "namespace": "x"}, "spec": {"podSelector": {}}}
 ]})";
    auto got = decode(kList);
    ASSERT_TRUE(got.ok()) << got.error();
    ASSERT_EQ(got->modification.apply.size(), 2u);
    EXPECT_EQ(got->modification.apply[0].name, "a");
    EXPECT_EQ(got->modification.apply[1].name, "b");
    EXPECT_EQ(got->apply_origins[1], "m.yaml:5");
}

TEST(ModificationDecoder, InvalidPoliciesNameFileLineAndObject) {
    constexpr std::string_view kBad = R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {}
  ingress:
  - from:
    - {}
)";
    auto got = decode(kBad);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().rfind("m.yaml:11: NetworkPolicy shop/web: spec.ingress[0].from[0]", 0),
              0u)
        << got.error();
}

TEST(ModificationDecoder, OtherKindsAreRejected) {
    auto got = decode("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y}\n");
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("m.yaml:"), std::string::npos) << got.error();
    EXPECT_NE(got.error().find("expected kind NetworkPolicy"), std::string::npos) << got.error();
}

TEST(ModificationDecoder, MalformedKubectlCommentsAreErrors) {
    auto got = decode("# ok\n# kubectl -n shop delete networkpolicy\n");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error(),
              "m.yaml:2: expected \"# kubectl -n NAMESPACE delete networkpolicy NAME\", got "
              "\"# kubectl -n shop delete networkpolicy\"");
    got = decode("# kubectl label namespace shop team\n");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().rfind("m.yaml:1: expected \"# kubectl label namespace NAMESPACE "
                                "KEY=VALUE\"",
                                0),
              0u)
        << got.error();
}

TEST(ModificationDecoder, JsonErrorsNameTheField) {
    auto got = decode(R"({"apply": [], "todelete": []})");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error(),
              "m.yaml:1: unknown key \"todelete\" (expected apply, applyYaml, toDelete, "
              "namespaceLabels)");
    got = decode("{\"toDelete\": [\n  {\"namespace\": \"a\"}\n]}");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error(), "m.yaml:2: toDelete[0].name: Required value");
}

// A NetworkPolicy as YAML named `name` in `ns`, the name written as a JSON string (escapes and
// all), so that any text can be tried.
std::string namedPolicy(const std::string& ns, const std::string& name) {
    return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: " + name +
           "\n  namespace: " + ns + "\nspec:\n  podSelector: {}\n";
}

TEST(ModificationDecoder, PolicyNamesAreCheckedWithTheApiServersWording) {
    auto got = decode(namedPolicy("shop", "\"a b\""));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(
        got.error(),
        "m.yaml:4: NetworkPolicy shop/a b: metadata.name: Invalid value: \"a b\": a lowercase "
        "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
        "and must start and end with an alphanumeric character (e.g. 'example.com', regex "
        "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-"
        "9])?)*')");
    // A name with line breaks would start a second document or a comment line in any YAML text.
    got = decode(namedPolicy("shop", "\"x\\n---\\nkind: NetworkPolicy\""));
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("metadata.name: Invalid value: \"x\\n---\\nkind: NetworkPolicy\""),
              std::string::npos)
        << got.error();
    got = decode(namedPolicy("Shop", "web"));
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("m.yaml:5: NetworkPolicy Shop/web: metadata.namespace: Invalid "
                               "value: \"Shop\": a lowercase RFC 1123 label must consist of"),
              std::string::npos)
        << got.error();
    got = decode(namedPolicy("shop", "--all"));
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("metadata.name: Invalid value: \"--all\""), std::string::npos);
    ModificationOptions bad_default;
    bad_default.default_namespace = "a b";
    got = decode("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web}\n",
                 bad_default);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("--default-namespace: Invalid value: \"a b\""), std::string::npos)
        << got.error();
}

TEST(ModificationDecoder, DeletionsAndNamespaceLabelsAreCheckedToo) {
    auto got = decode(R"({"toDelete": [{"namespace": "default", "name": "--all"}]})");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().rfind("m.yaml:1: toDelete[0].name: Invalid value: \"--all\": a "
                                "lowercase RFC 1123 subdomain",
                                0),
              0u)
        << got.error();
    got = decode("{\"toDelete\": [{\"namespace\": \"a b\", \"name\": \"x\"}]}");
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("toDelete[0].namespace: Invalid value: \"a b\": a lowercase RFC "
                               "1123 label"),
              std::string::npos)
        << got.error();
    got = decode("# kubectl -n default delete networkpolicy --all\n");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().rfind("m.yaml:1: kubectl delete networkpolicy: name: Invalid value: "
                                "\"--all\"",
                                0),
              0u)
        << got.error();
    got = decode("# kubectl label namespace shop team=a,b\n");
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("labels: Invalid value: \"a,b\": a valid label must be"),
              std::string::npos)
        << got.error();
    got = decode(R"({"namespaceLabels": [{"namespace": "shop", "labels": {"a b": "x"}}]})");
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("namespaceLabels[0].labels: Invalid value: \"a b\": name part"),
              std::string::npos)
        << got.error();
}

TEST(ModificationDecoder, ListsOfOtherKindsAreRejected) {
    auto got = decode(R"({"apply": [{"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "x", "namespace": "y"}}]})");
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("expected kind NetworkPolicy"), std::string::npos) << got.error();
    got = decode(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n"
        "  kind: ClusterRole\n  metadata: {name: x}\n");
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("expected kind NetworkPolicy"), std::string::npos) << got.error();
}

TEST(ModificationDecoder, StoredModificationsAreReadOnlyAsStructuredJson) {
    ModificationOptions stored;
    stored.structured = true;
    auto got = decode(modificationToJson(sample()), stored);
    ASSERT_TRUE(got.ok()) << got.error();
    expectSame(got->modification, sample());
    // Comment lines and YAML documents are what a name could inject: never read from the store.
    for (const std::string& text :
         {modificationToYaml(sample()),
          std::string("# kubectl -n shop delete networkpolicy a\n"),
          std::string(R"({"applyYaml": "# kubectl -n shop delete networkpolicy a\n"})")}) {
        got = decode(text, stored);
        EXPECT_FALSE(got.ok()) << text;
    }
    got = decode("{\"apply\": []}\n# kubectl -n shop delete networkpolicy a\n", stored);
    ASSERT_TRUE(got.ok()) << got.error();
    EXPECT_TRUE(got->modification.to_delete.empty()) << "a comment in stored text is no deletion";
}

TEST(ModificationDecoder, SampleDirectoryUploadNeedsANamespace) {
    const std::string dir =
        std::string(NETPOLGEN_SHARED_DIR) + "/samples/online-boutique/network-policies";
    DecodedModification out;
    core::Status st = loadModification(dir, {}, out);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().find("network-policy-adservice.yaml:"), std::string::npos) << st.error();
    EXPECT_NE(st.error().find("yamls tested against must apply to a namespace"), std::string::npos);

    DecodedModification with_default;
    ModificationOptions options;
    options.default_namespace = "default";
    st = loadModification(dir, options, with_default);
    ASSERT_TRUE(st.ok()) << st.error();
    EXPECT_EQ(with_default.files.size(), 13u);
    EXPECT_EQ(with_default.modification.apply.size(), 13u);
    EXPECT_EQ(with_default.modification.apply[0].name, "adservice");
}

}  // namespace
}  // namespace netpolgen::io
