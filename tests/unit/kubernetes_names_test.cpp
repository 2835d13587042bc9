// Names and label text as the API server checks them (core/kubernetes_names.h), with its wording.
#include "core/kubernetes_names.h"

#include <gtest/gtest.h>

#include <string>

namespace netpolgen::core {
namespace {

constexpr std::string_view kSubdomain =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr std::string_view kLabel =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

TEST(KubernetesNames, SubdomainsAsTheApiServerChecksThem) {
    for (const std::string name : {"web", "a", "0", "web-1.shop", "a.b.c", "1-2"}) {
        EXPECT_FALSE(dns1123SubdomainProblem(name)) << name;
    }
    for (const std::string name : {"",
                                   "a b",
                                   "Web",
                                   "-web",
                                   "web-",
                                   "a..b",
                                   ".a",
                                   "a.",
                                   "a_b",
                                   "--all",
                                   "x\n---\ny",
                                   "a/b"}) {
        EXPECT_EQ(dns1123SubdomainProblem(name), std::string(kSubdomain)) << name;
    }
    EXPECT_FALSE(dns1123SubdomainProblem(std::string(253, 'a')));
    EXPECT_EQ(dns1123SubdomainProblem(std::string(254, 'a')),
              "must be no more than 253 characters");
}

TEST(KubernetesNames, NamespacesAreLabels) {
    EXPECT_FALSE(dns1123LabelProblem("kube-system"));
    EXPECT_FALSE(dns1123LabelProblem(std::string(63, 'a')));
    EXPECT_EQ(dns1123LabelProblem(std::string(64, 'a')), "must be no more than 63 characters");
    EXPECT_EQ(dns1123LabelProblem("a.b"), std::string(kLabel)) << "no dots in a label";
    EXPECT_EQ(dns1123LabelProblem("--all"), std::string(kLabel));
}

TEST(KubernetesNames, LabelKeysAndValues) {
    for (const std::string key : {"app", "App_1.x", "example.com/team", "a/B"}) {
        EXPECT_FALSE(labelKeyProblem(key)) << key;
    }
    EXPECT_EQ(labelKeyProblem("/app"), "prefix part must be non-empty");
    EXPECT_EQ(labelKeyProblem("Ex.com/app"), "prefix part " + std::string(kSubdomain));
    EXPECT_EQ(labelKeyProblem("a/b/c").value().rfind("a qualified name must consist of", 0), 0u);
    EXPECT_EQ(
        labelKeyProblem("a b"),
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
        "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
        "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    EXPECT_FALSE(labelValueProblem(""));
    EXPECT_FALSE(labelValueProblem("My_value.1"));
    EXPECT_EQ(labelValueProblem("a\nb").value().rfind("a valid label must be an empty string", 0),
              0u);
    EXPECT_EQ(labelValueProblem(std::string(64, 'a')).value().rfind("must be no more than 63", 0),
              0u);
}

TEST(KubernetesNames, InvalidValueQuotesAndEscapesTheValue) {
    EXPECT_EQ(invalidValue("metadata.name", "a b", "P"),
              "metadata.name: Invalid value: \"a b\": P");
    EXPECT_EQ(invalidValue("name", "x\n---\n\"y\"", "P"),
              "name: Invalid value: \"x\\n---\\n\\\"y\\\"\": P")
        << "a value never starts a line of its own";
}

}  // namespace
}  // namespace netpolgen::core
