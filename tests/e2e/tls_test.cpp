// The agent over MQTT with TLS and a client certificate, against a real Mosquitto that
// requires one, with a CA and certificates the test makes with openssl.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fmt/format.h>
#include <csignal>
#include <cstdlib>
#include <fstream>

#include "tests/e2e/fleet.h"
#include "tests/e2e/nmea_reference.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace drivelink::testing {
namespace {

using std::chrono::seconds;

const std::filesystem::path kDrive = std::filesystem::path(DRIVELINK_SOURCE_DIR) /
                                     "tests/data/nmea/genivi/20100411_Geko_Regensburg.txt";
const std::filesystem::path kBinaryDir(DRIVELINK_BINARY_DIR);

void run_openssl(const std::string& arguments) {
    const std::string command = "openssl " + arguments + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// A CA, a broker certificate for 127.0.0.1 and a car certificate, all signed by the CA.
void make_certificates(const std::filesystem::path& dir) {
    const auto path = [&dir](const char* name) { return (dir / name).string(); };
    run_openssl(fmt::format(
        "req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=drivelink-test-ca -keyout {} -out {}",
        path("ca.key"),
        path("ca.pem")));
    for (const char* name : {"broker", "car"}) {
        run_openssl(
            fmt::format("req -newkey rsa:2048 -nodes -subj /CN={} -keyout {}.key -out {}.csr",
                        name,
                        path(name),
                        path(name)));
    }
    std::ofstream(dir / "san.ext") << "subjectAltName=IP:127.0.0.1\n";
    run_openssl(
        fmt::format("x509 -req -in {} -CA {} -CAkey {} -CAcreateserial -days 2 -extfile {} -out {}",
                    path("broker.csr"),
                    path("ca.pem"),
                    path("ca.key"),
                    path("san.ext"),
                    path("broker.pem")));
    run_openssl(fmt::format("x509 -req -in {} -CA {} -CAkey {} -CAcreateserial -days 2 -out {}",
                            path("car.csr"),
                            path("ca.pem"),
                            path("ca.key"),
                            path("car.pem")));
}

int64_t stored_samples(const std::filesystem::path& db_path, const std::string& vin) {
    sqlite3* db = nullptr;
    int64_t count = -1;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* stmt = nullptr;
        sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM samples WHERE vin = ?", -1, &stmt, nullptr);
        sqlite3_bind_text(stmt, 1, vin.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            count = sqlite3_column_int64(stmt, 0);
        }
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return count;
}

class AgentTls : public ::testing::Test {
  protected:
    void SetUp() override {
        make_certificates(dir_.path());
        tls_port_ = free_loopback_port();
        broker_ = std::make_unique<MosquittoBroker>(
            dir_ / "broker",
            fmt::format("listener {} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n"
                        "require_certificate true\n",
                        tls_port_,
                        (dir_ / "ca.pem").string(),
                        (dir_ / "broker.pem").string(),
                        (dir_ / "broker.key").string()));
        ASSERT_TRUE(wait_for_port(tls_port_, seconds(10)));
        cloud_ = std::make_unique<Process>(
            kBinaryDir / "cloud/drivelink-cloud",
            std::vector<std::string>{
                "run", "--broker", broker_->uri(), "--db", (dir_ / "cloud.db").string()},
            dir_ / "cloud.log");
        ASSERT_TRUE(wait_for_text(dir_ / "cloud.log", "subscribed", seconds(20)));
    }

    // Writes an agent configuration file for the TLS listener.
    std::filesystem::path write_config(const std::string& vin, bool with_client_certificate) {
        const auto path = dir_ / fmt::format("{}.toml", vin);
        std::ofstream config(path);
        config << fmt::format(
            "[vehicle]\nvin = \"{}\"\n\n[mqtt]\nbroker = \"ssl://127.0.0.1:{}\"\n\n"
            "[mqtt.tls]\nca_file = \"ca.pem\"\n",
            vin,
            tls_port_);
        if (with_client_certificate) {
            config << "certificate_file = \"car.pem\"\nprivate_key_file = \"car.key\"\n";
        }
        config << fmt::format(
            "\n[outbox]\npath = \"{}.db\"\n\n[gnss]\nnmea_file = \"{}\"\n", vin, kDrive.string());
        return path;
    }

    TempDir dir_;
    int tls_port_ = 0;
    std::unique_ptr<MosquittoBroker> broker_;
    std::unique_ptr<Process> cloud_;
};

TEST_F(AgentTls, ClientCertificateDeliversDrive) {
    const std::string vin = test_vin(41);
    Process agent(kBinaryDir / "agent/drivelink-agent",
                  {"run",
                   "--config",
                   write_config(vin, true).string(),
                   "--replay-speed",
                   "0",
                   "--record-every-fix",
                   "--exit-when-drained"},
                  dir_ / "agent.log");
    const auto status = agent.wait(seconds(120));
    ASSERT_TRUE(status.has_value()) << read_file(dir_ / "agent.log");
    EXPECT_EQ(*status, 0) << read_file(dir_ / "agent.log");
    EXPECT_EQ(cloud_->stop(), 0);
    EXPECT_EQ(stored_samples(dir_ / "cloud.db", vin),
              static_cast<int64_t>(reference_fixes(kDrive).size()));
}

TEST_F(AgentTls, MissingClientCertificateRejected) {
    const std::string vin = test_vin(42);
    Process agent(kBinaryDir / "agent/drivelink-agent",
                  {"run", "--config", write_config(vin, false).string(), "--replay-speed", "0"},
                  dir_ / "agent.log");
    ASSERT_TRUE(wait_for_text(dir_ / "agent.log", "failed", seconds(20)))
        << read_file(dir_ / "agent.log");
    EXPECT_FALSE(wait_for_text(dir_ / "agent.log", "connected to", seconds(3)))
        << read_file(dir_ / "agent.log");
    agent.signal(SIGKILL);
    agent.wait(seconds(10));
    EXPECT_EQ(cloud_->stop(), 0);
    EXPECT_EQ(stored_samples(dir_ / "cloud.db", vin), 0);
}

}  // namespace
}  // namespace drivelink::testing
