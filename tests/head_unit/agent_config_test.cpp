#include "agent/config/agent_config.h"

#include <gtest/gtest.h>

#include <string>

namespace drivelink::agent::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::filesystem::path kSource = "/etc/drivelink/agent.toml";

constexpr const char* kMinimal = R"(
[vehicle]
vin = "1HGCM82633A004352"

[mqtt]
broker = "tcp://127.0.0.1:1883"

[outbox]
path = "outbox.db"

[gnss]
nmea_file = "/var/lib/drivelink/drive.nmea"
)";

constexpr const char* kFull = R"(
[vehicle]
vin = "WVWZZZ1JZXW000001"
verify_vin_check_digit = false
propulsion = ["gasoline", "electric"]

[mqtt]
broker = "ssl://mqtt.example.com:8883"
client_id = "car-42"
ack_timeout_ms = 15000

[mqtt.tls]
ca_file = "tls/ca.pem"
certificate_file = "tls/car.pem"
private_key_file = "tls/car.key"

[outbox]
path = "/var/lib/drivelink/outbox.db"
max_entries = 5000
max_bytes = 1048576

[gnss]
serial_device = "/dev/ttyACM0"
baud_rate = 115200

[signals]
replay_file = "signals.jsonl"

[sampling]
driving_interval_s = 5
distance_m = 250.0
heading_change_deg = 20
heading_min_speed_kph = 8.0
parked_interval_s = 3600

[batch]
max_samples = 50
max_age_s = 30

[crash]
threshold_mps2 = 49.0
min_duration_ms = 15
rearm_s = 120

[events]
low_fuel_percent = 12.5
low_charge_percent = 15
level_hysteresis_percent = 3
low_battery_v = 11.9
low_battery_duration_s = 60
battery_hysteresis_v = 0.3
sos_rearm_s = 20

[commands]
id_store_file = "command-ids"
remembered_ids = 500
)";

// Returns the minimal file with `line` added at the end of table `table`.
std::string minimal_with(const std::string& table, const std::string& line) {
    std::string text = kMinimal;
    const auto header = "[" + table + "]\n";
    const auto at = text.find(header);
    if (at == std::string::npos) {
        return text + header + line + "\n";
    }
    const auto end_of_header = at + header.size();
    return text.insert(end_of_header, line + "\n");
}

void expect_error(const Result<AgentConfig>& config, const std::string& expected) {
    ASSERT_FALSE(config.ok()) << "expected an error containing: " << expected;
    EXPECT_NE(config.error().find(expected), std::string::npos) << config.error();
}

TEST(AgentConfig, LoadsEveryKey) {
    auto config = parse_config(kFull, kSource);
    ASSERT_TRUE(config.ok()) << config.error();
    const auto& c = config.value();

    EXPECT_EQ(c.vehicle.vin, "WVWZZZ1JZXW000001");
    EXPECT_FALSE(c.vehicle.verify_vin_check_digit);
    EXPECT_EQ(c.vehicle.propulsion_storages,
              (std::vector<v1::PropulsionStorage>{v1::PROPULSION_STORAGE_GASOLINE,
                                                  v1::PROPULSION_STORAGE_ELECTRIC}));
    EXPECT_EQ(c.mqtt.broker_uri, "ssl://mqtt.example.com:8883");
    EXPECT_EQ(c.mqtt.client_id, "car-42");
    EXPECT_EQ(c.mqtt.ack_timeout, milliseconds(15000));
    ASSERT_TRUE(c.mqtt.tls.has_value());
    EXPECT_EQ(c.mqtt.tls->ca_file, "/etc/drivelink/tls/ca.pem");
    EXPECT_EQ(c.mqtt.tls->certificate_file, "/etc/drivelink/tls/car.pem");
    EXPECT_EQ(c.mqtt.tls->private_key_file, "/etc/drivelink/tls/car.key");
    EXPECT_EQ(c.outbox.path, "/var/lib/drivelink/outbox.db");
    EXPECT_EQ(c.outbox.max_entries, 5000u);
    EXPECT_EQ(c.outbox.max_bytes, 1048576u);
    EXPECT_EQ(c.gnss.serial_device, "/dev/ttyACM0");
    EXPECT_EQ(c.gnss.baud_rate, 115200);
    EXPECT_EQ(c.signals.replay_file, "/etc/drivelink/signals.jsonl");
    EXPECT_EQ(c.commands.id_store_file, "/etc/drivelink/command-ids");
    EXPECT_EQ(c.commands.remembered_ids, 500u);
}

TEST(AgentConfig, LoadsRuntimeSettings) {
    auto config = parse_config(kFull, kSource);
    ASSERT_TRUE(config.ok()) << config.error();
    const auto& settings = config.value().settings;

    EXPECT_EQ(settings.sampler.driving_interval, seconds(5));
    EXPECT_DOUBLE_EQ(settings.sampler.distance_m, 250.0);
    EXPECT_DOUBLE_EQ(settings.sampler.heading_change_deg, 20.0);
    EXPECT_DOUBLE_EQ(settings.sampler.heading_min_speed_kph, 8.0);
    EXPECT_EQ(settings.sampler.parked_interval, seconds(3600));
    EXPECT_EQ(settings.batch.max_samples, 50u);
    EXPECT_EQ(settings.batch.max_age, seconds(30));
    EXPECT_DOUBLE_EQ(settings.crash.threshold_mps2, 49.0);
    EXPECT_EQ(settings.crash.min_duration, milliseconds(15));
    EXPECT_EQ(settings.crash.rearm, seconds(120));
    EXPECT_DOUBLE_EQ(settings.events.low_fuel_percent, 12.5);
    EXPECT_DOUBLE_EQ(settings.events.low_charge_percent, 15.0);
    EXPECT_DOUBLE_EQ(settings.events.level_hysteresis_percent, 3.0);
    EXPECT_DOUBLE_EQ(settings.events.low_battery_v, 11.9);
    EXPECT_EQ(settings.events.low_battery_duration, seconds(60));
    EXPECT_DOUBLE_EQ(settings.events.battery_hysteresis_v, 0.3);
    EXPECT_EQ(settings.events.sos_rearm, seconds(20));
}

TEST(AgentConfig, AbsentKeysKeepDefaults) {
    auto config = parse_config(kMinimal, kSource);
    ASSERT_TRUE(config.ok()) << config.error();
    const auto& c = config.value();

    EXPECT_TRUE(c.vehicle.verify_vin_check_digit);
    EXPECT_TRUE(c.vehicle.propulsion_storages.empty());
    EXPECT_TRUE(c.mqtt.client_id.empty());
    EXPECT_FALSE(c.mqtt.tls.has_value());
    EXPECT_EQ(c.mqtt.ack_timeout, seconds(10));
    EXPECT_EQ(c.outbox.path, "/etc/drivelink/outbox.db");
    EXPECT_EQ(c.outbox.max_entries, 100'000u);
    EXPECT_EQ(c.gnss.baud_rate, 9600);
    EXPECT_DOUBLE_EQ(c.gnss.replay_speed, 1.0);
    EXPECT_FALSE(c.gnss.replay_max_gap.has_value());
    EXPECT_TRUE(c.signals.replay_file.empty());
    EXPECT_EQ(c.settings.sampler.driving_interval, seconds(10));
    EXPECT_EQ(c.settings.batch.max_samples, 10u);
    EXPECT_EQ(c.commands.remembered_ids, 1000u);
}

TEST(AgentConfig, MissingRequiredKeyNamed) {
    std::string text = kMinimal;
    text.erase(text.find("vin = "), std::string("vin = \"1HGCM82633A004352\"\n").size());

    expect_error(parse_config(text, kSource), "agent.toml: missing required key vehicle.vin");
}

TEST(AgentConfig, MissingTableNamed) {
    std::string text = kMinimal;
    text.erase(text.find("[mqtt]"),
               std::string("[mqtt]\nbroker = \"tcp://127.0.0.1:1883\"\n").size());

    expect_error(parse_config(text, kSource), "missing required key mqtt.broker");
}

TEST(AgentConfig, WrongTypeNamesKeyValueAndLine) {
    auto config = parse_config(minimal_with("sampling", "distance_m = \"far\""), kSource);

    expect_error(config,
                 "agent.toml:14: sampling.distance_m = \"far\" has the wrong type: expected a "
                 "number");
}

TEST(AgentConfig, FractionForIntegerRejected) {
    expect_error(parse_config(minimal_with("batch", "max_samples = 2.5"), kSource),
                 "batch.max_samples = 2.5 has the wrong type: expected an integer");
}

TEST(AgentConfig, OutOfRangeNamesKeyAndValue) {
    expect_error(parse_config(minimal_with("sampling", "distance_m = -5"), kSource),
                 "agent.toml: sampling.distance_m = -5 is out of range: must be 0 to 100000");
}

TEST(AgentConfig, NegativeCountRejected) {
    expect_error(parse_config(minimal_with("outbox", "max_entries = -1"), kSource),
                 "outbox.max_entries = -1 is out of range");
}

TEST(AgentConfig, CrashThresholdBelowBrakingRejected) {
    expect_error(parse_config(minimal_with("crash", "threshold_mps2 = 9"), kSource),
                 "crash.threshold_mps2 = 9 is out of range: must be 15 to 1000");
}

TEST(AgentConfig, UnknownKeyNamed) {
    expect_error(parse_config(minimal_with("sampling", "distnce_m = 50"), kSource),
                 "unknown key sampling.distnce_m");
}

TEST(AgentConfig, UnknownTableNamed) {
    expect_error(parse_config(minimal_with("telemetry", "rate = 1"), kSource),
                 "unknown key telemetry");
}

TEST(AgentConfig, ReportsEveryError) {
    std::string text = minimal_with("mqtt", "ack_timeout_ms = 5");
    text.insert(text.find("[gnss]\n") + 7, "baud_rate = 1000\n");

    auto config = parse_config(text, kSource);

    expect_error(config, "mqtt.ack_timeout_ms = 5 is out of range");
    expect_error(config, "gnss.baud_rate = 1000 is invalid");
}

TEST(AgentConfig, InvalidTomlNamesLineAndColumn) {
    expect_error(parse_config("[vehicle]\nvin = \"1HGCM82633A004352\n", kSource),
                 "/etc/drivelink/agent.toml:2:");
}

TEST(AgentConfig, InvalidVinRejected) {
    std::string text = kMinimal;
    text.replace(text.find("1HGCM82633A004352"), 17, "1HGCM82634A004352");

    expect_error(parse_config(text, kSource), "vehicle.vin = \"1HGCM82634A004352\" is invalid");
}

TEST(AgentConfig, BothGnssInputsRejected) {
    expect_error(parse_config(minimal_with("gnss", "serial_device = \"/dev/ttyUSB0\""), kSource),
                 "give exactly one of gnss.nmea_file");
}

TEST(AgentConfig, TlsNeedsSslBroker) {
    expect_error(parse_config(minimal_with("mqtt.tls", "ca_file = \"ca.pem\""), kSource),
                 "mqtt.broker = \"tcp://127.0.0.1:1883\" is invalid: mqtt.tls is set");
}

TEST(AgentConfig, UnknownBrokerSchemeRejected) {
    std::string text = kMinimal;
    text.replace(text.find("tcp://"), 6, "http://");

    expect_error(parse_config(text, kSource), "mqtt.broker = \"http://127.0.0.1:1883\" is invalid");
}

TEST(AgentConfig, EmptyPropulsionAccepted) {
    auto config = parse_config(minimal_with("vehicle", "propulsion = []"), kSource);

    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_TRUE(config->vehicle.propulsion_storages.empty());
}

TEST(AgentConfig, MixedPropulsionArrayRejected) {
    expect_error(parse_config(minimal_with("vehicle", "propulsion = [\"diesel\", 2]"), kSource),
                 "vehicle.propulsion = [ \"diesel\", 2 ] has the wrong type: expected an array of "
                 "strings");
}

TEST(AgentConfig, UnknownPropulsionRejected) {
    expect_error(parse_config(minimal_with("vehicle", "propulsion = [\"steam\"]"), kSource),
                 "vehicle.propulsion = \"steam\" is invalid");
}

TEST(AgentConfig, MissingFileReported) {
    expect_error(load_config("/nonexistent/agent.toml"),
                 "cannot open configuration file /nonexistent/agent.toml");
}

}  // namespace
}  // namespace drivelink::agent::config
