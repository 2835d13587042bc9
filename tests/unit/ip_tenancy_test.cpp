#include "core/ip_tenancy.h"

#include <gtest/gtest.h>

namespace netpolgen::core {
namespace {

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

const PodTenant kWeb{"shop", "web-5d9-a1b2c", "ReplicaSet", "web-5d9"};
const PodTenant kCart{"shop", "cart-77f-x9y8z", "ReplicaSet", "cart-77f"};

TEST(IpTenancies, AnAddressReusedByAnotherPodHasEachOwnerAtItsTime) {
    IpTenancies t;
    t.open(ip("10.0.0.5"), kWeb, 100);
    t.closePod("shop", "web-5d9-a1b2c", 160);
    t.open(ip("10.0.0.5"), kCart, 170);
    ASSERT_NE(t.tenantAt(ip("10.0.0.5"), 100), nullptr);
    EXPECT_EQ(*t.tenantAt(ip("10.0.0.5"), 100), kWeb);
    EXPECT_EQ(*t.tenantAt(ip("10.0.0.5"), 159), kWeb);
    EXPECT_EQ(t.tenantAt(ip("10.0.0.5"), 160), nullptr);  // between the two: nobody
    EXPECT_EQ(t.tenantAt(ip("10.0.0.5"), 99), nullptr);
    EXPECT_EQ(*t.tenantAt(ip("10.0.0.5"), 10'000), kCart);  // still held
    EXPECT_EQ(t.tenantAt(ip("10.0.0.6"), 120), nullptr);
}

TEST(IpTenancies, ANewTenantClosesAnOpenTenancyWhoseCloseWasMissed) {
    IpTenancies t;
    t.open(ip("10.0.0.5"), kWeb, 100);
    t.open(ip("10.0.0.5"), kCart, 200);  // web's deletion was never seen
    EXPECT_EQ(*t.tenantAt(ip("10.0.0.5"), 150), kWeb);
    EXPECT_EQ(*t.tenantAt(ip("10.0.0.5"), 200), kCart);
    const auto all = t.all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].until, std::optional<Timestamp>(200));
    EXPECT_FALSE(all[1].until.has_value());
}

TEST(IpTenancies, OpeningTwiceIsOneTenancyAndChangesAreTakenOnce) {
    IpTenancies t;
    t.open(ip("fd00::5"), kWeb, 100);
    t.open(ip("fd00::5"), kWeb, 130);  // the same pod seen again (MODIFIED)
    EXPECT_EQ(t.size(), 1u);
    auto changed = t.takeChanged();
    ASSERT_EQ(changed.size(), 1u);
    EXPECT_EQ(changed[0].since, 100);
    EXPECT_TRUE(t.takeChanged().empty());
    t.close(ip("fd00::5"), "shop", "web-5d9-a1b2c", 150);
    changed = t.takeChanged();
    ASSERT_EQ(changed.size(), 1u);
    EXPECT_EQ(changed[0].until, std::optional<Timestamp>(150));
}

TEST(IpTenancies, StoredTenanciesLoadInTimeOrderWhateverTheirOrder) {
    IpTenancies t;
    t.add({ip("10.0.0.5"), kCart, 170, std::nullopt});
    t.add({ip("10.0.0.5"), kWeb, 100, 160});
    t.add({ip("10.0.0.5"), kWeb, 100, 160});  // the same row twice
    EXPECT_EQ(t.size(), 2u);
    EXPECT_EQ(*t.tenantAt(ip("10.0.0.5"), 120), kWeb);
    EXPECT_EQ(*t.tenantAt(ip("10.0.0.5"), 180), kCart);
    EXPECT_TRUE(t.takeChanged().empty());  // loaded rows are not changes
    t.forgetBefore(165);
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(t.tenantAt(ip("10.0.0.5"), 120), nullptr);
}

}  // namespace
}  // namespace netpolgen::core
