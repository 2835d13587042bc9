// kubeconfig loading as client-go does it (docs/kubernetes-api-client.md §1–§3), exec credential
// answers, and the one-line errors for API Status answers.
#include "kube/kubeconfig.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "kube/api_client.h"
#include "kube/credentials.h"

namespace netpolgen::kube {
namespace {

namespace fs = std::filesystem;

class KubeconfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/netpolgen-kubeconfig.XXXXXX";
        dir_ = ::mkdtemp(tmpl);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        const std::string path = dir_ + "/" + name;
        fs::create_directories(fs::path(path).parent_path());
        std::ofstream(path) << text;
        return path;
    }

    std::string dir_;
};

constexpr const char* kFirst = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority: certs/ca.pem
    tls-server-name: kubernetes.default
users:
- name: u1
  user:
    token: first-token
contexts:
- name: dev
  context: {cluster: c1, user: u1, namespace: team-a}
)";

constexpr const char* kSecond = R"(apiVersion: v1
kind: Config
current-context: other
clusters:
- name: c1
  cluster:
    server: https://second.example:6443
users:
- name: u1
  user:
    tokenFile: token.txt
- name: u2
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
contexts:
- name: other
  context: {cluster: c1, user: u2}
)";

TEST_F(KubeconfigTest, FirstFileWinsWholeEntriesAndPathsResolveAgainstTheirFile) {
    write("a/certs/ca.pem", "CA PEM");
    const std::string a = write("a/config", kFirst);
    const std::string b = write("b/config", kSecond);
    KubeconfigRequest r;
    r.kubeconfig_env = a + ":" + b + ":" + dir_ + "/missing";
    auto cfg = loadKubeconfig(r);
    ASSERT_TRUE(cfg.ok()) << cfg.error();
    EXPECT_EQ(cfg->server, "https://10.0.0.1:6443");  // trailing slash dropped
    EXPECT_EQ(cfg->ca_pem, "CA PEM");                 // relative to a/
    EXPECT_EQ(cfg->tls_server_name, "kubernetes.default");
    EXPECT_EQ(cfg->token, "first-token");  // b's u1 (tokenFile) ignored entirely
    EXPECT_TRUE(cfg->token_file.empty());
    EXPECT_EQ(cfg->ns, "team-a");

    r.context = "other";  // defined only in b: its user u2 with certificate data
    cfg = loadKubeconfig(r);
    ASSERT_TRUE(cfg.ok()) << cfg.error();
    EXPECT_EQ(cfg->server, "https://10.0.0.1:6443");  // cluster c1 is still a's
    EXPECT_EQ(cfg->client_cert_pem, "CERT");
    EXPECT_EQ(cfg->client_key_pem, "KEY");
    EXPECT_EQ(cfg->ns, "default");
}

TEST_F(KubeconfigTest, TokenFileIsResolvedAgainstItsFileAndReadAsItRotates) {
    const std::string b = write("b/config", kSecond);
    write("b/token.txt", "rotated-1\n");
    KubeconfigRequest r;
    r.explicit_path = b;
    r.context = "other";
    auto cfg = loadKubeconfig(r);
    ASSERT_TRUE(cfg.ok()) << cfg.error();
    RestConfig with_file = *cfg;
    with_file.token_file = dir_ + "/b/token.txt";
    Credentials creds(with_file);
    auto m = creds.current();
    ASSERT_TRUE(m.ok()) << m.error();
    EXPECT_EQ(m->token, "rotated-1");
    write("b/token.txt", "rotated-2\n");
    EXPECT_EQ(creds.current()->token, "rotated-1");  // cached for a minute
    creds.unauthorized(*m);                          // a 401: read again at once
    EXPECT_EQ(creds.current()->token, "rotated-2");
}

TEST_F(KubeconfigTest, ValidationErrorsNameTheFileLineAndProblem) {
    struct Case {
        const char* user;
        const char* error;
    };
    const Case cases[] = {
        {"    token: t\n    username: u\n    password: p\n", "more than one authentication method"},
        {"    client-certificate-data: Q0VSVA==\n", "needs a client key"},
        {"    client-key: k.pem\n    client-key-data: S0VZ\n", "are both set"},
        {"    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: x\n",
         "interactiveMode must be specified for v1"},
        {"    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: x\n",
         "is not client.authentication.k8s.io/v1 or v1beta1"},
        {"    auth-provider:\n      name: gcp\n", "use an exec credential plugin"},
    };
    for (const Case& c : cases) {
        const std::string path = write("bad", std::string(R"(clusters:
- name: c
  cluster:
    server: https://x:6443
users:
- name: u
  user:
)") + c.user + R"(contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
)");
        KubeconfigRequest r;
        r.explicit_path = path;
        auto cfg = loadKubeconfig(r);
        ASSERT_FALSE(cfg.ok()) << c.error;
        EXPECT_NE(cfg.error().find(c.error), std::string::npos) << cfg.error();
        EXPECT_EQ(cfg.error().rfind(path + ":", 0), 0u) << cfg.error();
    }
}

TEST_F(KubeconfigTest, MissingContextClusterOrServerAreErrors) {
    const std::string path = write("c", R"(clusters:
- name: c
  cluster:
    insecure-skip-tls-verify: true
contexts:
- name: ctx
  context: {cluster: c}
- name: other
  context: {cluster: nosuch}
)");
    KubeconfigRequest r;
    r.explicit_path = path;
    EXPECT_NE(loadKubeconfig(r).error().find("no current-context"), std::string::npos);
    r.context = "nope";
    EXPECT_NE(loadKubeconfig(r).error().find("context \"nope\" does not exist"), std::string::npos);
    r.context = "other";
    EXPECT_NE(loadKubeconfig(r).error().find("cluster \"nosuch\" does not exist"),
              std::string::npos);
    r.context = "ctx";
    EXPECT_NE(loadKubeconfig(r).error().find("cluster has no server"), std::string::npos);
    r.explicit_path = dir_ + "/absent";
    EXPECT_NE(loadKubeconfig(r).error().find("absent"), std::string::npos);
}

TEST_F(KubeconfigTest, InsecureWithACertificateAuthorityIsRefused) {
    const std::string path = write("d", R"(clusters:
- name: c
  cluster:
    server: https://x:6443
    insecure-skip-tls-verify: true
    certificate-authority-data: Q0E=
contexts:
- name: ctx
  context: {cluster: c}
current-context: ctx
)");
    KubeconfigRequest r;
    r.explicit_path = path;
    EXPECT_NE(loadKubeconfig(r).error().find("with the insecure flag is not allowed"),
              std::string::npos);
}

TEST_F(KubeconfigTest, InClusterReadsTheServiceAccountAndBracketsIpv6) {
    write("sa/ca.crt", "CA");
    write("sa/namespace", "netpolgen\n");
    auto cfg = inClusterConfig("fd00::1", "443", dir_ + "/sa");
    ASSERT_TRUE(cfg.ok()) << cfg.error();
    EXPECT_EQ(cfg->server, "https://[fd00::1]:443");
    EXPECT_EQ(cfg->ns, "netpolgen");
    EXPECT_EQ(cfg->token_file, dir_ + "/sa/token");
    EXPECT_NE(inClusterConfig("", "443", dir_ + "/sa").error().find("not running in a cluster"),
              std::string::npos);
}

TEST(ExecCredential, AnswersAreCheckedAsClientGoDoes) {
    const std::string v1 = "client.authentication.k8s.io/v1";
    auto ok = parseExecCredential(
        R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
            "status":{"token":"t","expirationTimestamp":"2026-05-14T10:21:07Z"}})",
        v1);
    ASSERT_TRUE(ok.ok()) << ok.error();
    EXPECT_EQ(ok->auth.token, "t");
    EXPECT_EQ(ok->expires_at, 1778754067);
    EXPECT_NE(parseExecCredential(R"({"apiVersion":"client.authentication.k8s.io/v1beta1",
                                     "status":{"token":"t"}})",
                                  v1)
                  .error()
                  .find("configured"),
              std::string::npos);
    EXPECT_NE(parseExecCredential(R"({"apiVersion":"client.authentication.k8s.io/v1"})", v1)
                  .error()
                  .find("didn't return a status field"),
              std::string::npos);
    EXPECT_NE(
        parseExecCredential(R"({"apiVersion":"client.authentication.k8s.io/v1","status":{}})", v1)
            .error()
            .find("neither a token nor"),
        std::string::npos);
    EXPECT_FALSE(parseExecCredential("not json", v1).ok());
}

TEST(ExecCredential, ThePluginGetsExecInfoAndItsAnswerIsCachedUntilExpiry) {
    char tmpl[] = "/tmp/netpolgen-exec.XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const std::string plugin = dir + "/plugin.sh";
    std::ofstream(plugin) << "#!/bin/sh\n"
                             "echo \"$KUBERNETES_EXEC_INFO\" >> " +
                                 dir +
                                 "/calls\n"
                                 "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                                 "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}' "
                                 "\"$TOKEN\"\n";
    fs::permissions(plugin, fs::perms::owner_all);
    RestConfig cfg;
    cfg.server = "https://x:6443";
    cfg.exec = ExecConfig{
        "client.authentication.k8s.io/v1", plugin, {}, {{"TOKEN", "from-exec"}}, "Never", true, ""};
    Credentials creds(cfg);
    auto m = creds.current();
    ASSERT_TRUE(m.ok()) << m.error();
    EXPECT_EQ(m->token, "from-exec");
    EXPECT_EQ(creds.current()->token, "from-exec");
    std::ifstream calls(dir + "/calls");
    std::string line;
    int n = 0;
    while (std::getline(calls, line)) {
        ++n;
        EXPECT_NE(line.find(R"("interactive":false)"), std::string::npos) << line;
        EXPECT_NE(line.find(R"("server":"https://x:6443")"), std::string::npos) << line;
    }
    EXPECT_EQ(n, 1);  // no expiry: reused until a 401
    creds.unauthorized(*m);
    EXPECT_TRUE(creds.current().ok());
    fs::remove_all(dir);
}

TEST(ApiErrors, OneLineNamesTheVerbResourceAndMessage) {
    ApiResponse forbidden{
        403,
        R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"networkpolicies.networking.k8s.io is forbidden: User \"sa\" cannot list resource \"networkpolicies\"","reason":"Forbidden","code":403})",
        {}};
    EXPECT_EQ(
        describeFailure("GET", "/apis/networking.k8s.io/v1/networkpolicies?limit=500", forbidden),
        "cannot list networkpolicies (403 Forbidden): networkpolicies.networking.k8s.io is "
        "forbidden: User \"sa\" cannot list resource \"networkpolicies\"");
    ApiResponse text{404, "404 page not found\n", {}};
    EXPECT_EQ(describeFailure("GET", "/apis/route.openshift.io/v1", text),
              "cannot GET /apis/route.openshift.io/v1 (404 Not Found): 404 page not found");
    ApiResponse invalid{
        422,
        R"({"kind":"Status","status":"Failure","reason":"Invalid","details":{"causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"A\"","field":"metadata.name"}]},"code":422})",
        {}};
    EXPECT_EQ(describeFailure(
                  "POST", "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies", invalid),
              "cannot create networkpolicies in namespace shop (422 Unprocessable Entity); "
              "metadata.name: Invalid value: \"A\"");
    EXPECT_EQ(
        describeRequest("DELETE", "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/x"),
        "delete networkpolicies x in namespace shop");
    EXPECT_EQ(describeRequest("GET", "/api/v1/pods?watch=1"), "watch pods");
}

TEST(Base64, RoundTripsAndRefusesGarbage) {
    for (const std::string s : {"", "a", "ab", "abc", "abcd", "\x01\xff\x80 binary"}) {
        auto back = decodeBase64(encodeBase64(s));
        ASSERT_TRUE(back.ok());
        EXPECT_EQ(*back, s);
    }
    EXPECT_EQ(*decodeBase64("Q0VS\nVA=="), "CERT");
    EXPECT_FALSE(decodeBase64("Q0V*").ok());
    EXPECT_FALSE(decodeBase64("Q0===").ok());
}

}  // namespace
}  // namespace netpolgen::kube
