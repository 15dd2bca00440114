#include "agent/runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <fstream>
#include <thread>

#include "agent/commands/command_handler.h"
#include "agent/commands/command_id_store.h"
#include "agent/commands/head_unit_screen.h"
#include "agent/gnss/nmea_reader.h"
#include "agent/recorder.h"
#include "agent/signals/replay_signal_source.h"

namespace drivelink::agent {
namespace {

std::shared_ptr<spdlog::logger> logger() {
    static auto instance = [] {
        auto existing = spdlog::get("agent");
        return existing ? existing : spdlog::default_logger()->clone("agent");
    }();
    return instance;
}

// Result of the GNSS thread, read by the agent thread once that thread ended.
struct GnssOutcome {
    std::string error;
    gnss::DecoderCounters counters;
};

Result<gnss::LineReader> open_input(const RunOptions& options) {
    if (!options.serial_device.empty()) {
        return gnss::LineReader::open_serial(options.serial_device, options.baud_rate);
    }
    return gnss::LineReader::open_file(options.nmea_file);
}

// Reads fixes on its own thread and hands each one to the recorder.
void read_gnss(const RunOptions& options,
               gnss::LineReader& reader,
               Recorder& recorder,
               GnssOutcome& outcome,
               std::stop_token stop) {
    gnss::SteadyPacerClock clock;
    auto pacer = gnss::ReplayPacer::create(
        {.speed_factor = options.replay_speed, .max_gap = options.replay_max_gap}, clock);
    if (!pacer) {
        outcome.error = pacer.error();
        return;
    }
    gnss::NmeaDecoder decoder;
    const bool replay = options.serial_device.empty();
    auto delivered = gnss::deliver_fixes(
        reader,
        decoder,
        replay ? &pacer.value() : nullptr,
        [&](const gnss::Fix& fix) { recorder.on_fix(fix); },
        stop);
    if (!delivered) {
        outcome.error = delivered.error();
    }
    outcome.counters = decoder.counters();
}

Result<std::optional<signals::ReplaySignalSource>> open_signals(const RunOptions& options) {
    if (options.signals_file.empty()) {
        return std::optional<signals::ReplaySignalSource>();
    }
    auto source = signals::ReplaySignalSource::load(options.signals_file);
    if (!source) {
        return Error{source.error()};
    }
    return std::optional<signals::ReplaySignalSource>(std::move(source).value());
}

Result<std::unique_ptr<commands::CommandIdStore>> open_command_ids(const RunOptions& options) {
    if (options.commands.id_store_file.empty()) {
        return std::unique_ptr<commands::CommandIdStore>(
            std::make_unique<commands::MemoryCommandIdStore>(options.commands.remembered_ids));
    }
    auto store = commands::FileCommandIdStore::open(options.commands.id_store_file,
                                                    options.commands.remembered_ids);
    if (!store) {
        return Error{store.error()};
    }
    return std::unique_ptr<commands::CommandIdStore>(std::move(store).value());
}

std::string summary_text(const RunOptions& options,
                         Agent& agent,
                         const GnssOutcome& gnss,
                         const RecorderCounters& recorded,
                         const commands::CommandCounters& commands) {
    const auto& counters = agent.counters();
    std::string text = fmt::format(
        "agent summary vin={}: fixes={} samples={} events={} messages={} publishes={} resends={} "
        "acknowledged={} store_errors={} unstored_samples_lost={} invalid_fixes={} "
        "commands_handled={} commands_duplicate={} commands_rejected={}\n",
        options.agent.vin,
        recorded.fixes,
        counters.samples,
        counters.events,
        counters.messages_created,
        counters.publishes,
        counters.resends,
        counters.acknowledged,
        counters.store_errors,
        counters.unstored_samples_lost,
        recorded.invalid_samples,
        commands.handled,
        commands.duplicates,
        commands.rejected);
    text += fmt::format("sentences accepted: {}, fixes: {}, rejected: {}\n",
                        gnss.counters.sentences_accepted,
                        gnss.counters.fixes,
                        gnss.counters.rejected_total());
    for (std::size_t i = 0; i < gnss::kRejectReasonCount; ++i) {
        const auto reason = static_cast<gnss::RejectReason>(i);
        if (gnss.counters.rejected_count(reason) > 0) {
            text += fmt::format("  rejected {}: {}\n",
                                gnss::to_string(reason),
                                gnss.counters.rejected_count(reason));
        }
    }
    if (auto stats = agent.outbox().stats(); stats) {
        text += fmt::format(
            "outbox: entries_left={} next_seq={} samples_thinned={} entries_dropped={}\n",
            stats->entries,
            stats->next_seq,
            stats->dropped_samples_total,
            stats->entries_dropped_total);
    }
    return text;
}

v1::VehicleEvent sos_event(const RunOptions& options) {
    v1::VehicleEvent sos;
    sos.set_type(v1::EVENT_TYPE_SOS);
    sos.set_time_ms(now_ms());
    auto* emergency = sos.mutable_emergency();
    emergency->set_activation(v1::ACTIVATION_MANUAL);
    emergency->set_trigger(v1::EMERGENCY_TRIGGER_SOS_BUTTON);
    emergency->set_vin(options.agent.vin);
    for (const auto storage : options.propulsion_storages) {
        emergency->add_propulsion_storages(storage);
    }
    return sos;
}

// Everything one run owns, opened before the agent starts.
struct Inputs {
    std::unique_ptr<Outbox> outbox;
    std::optional<gnss::LineReader> reader;
    std::optional<signals::ReplaySignalSource> signals;
    std::unique_ptr<commands::CommandIdStore> command_ids;
};

Result<Inputs> open_inputs(const RunOptions& options) {
    Inputs inputs;
    auto outbox = Outbox::open(options.outbox_path, options.outbox_limits);
    if (!outbox) {
        return Error{outbox.error()};
    }
    inputs.outbox = std::move(outbox).value();
    auto reader = open_input(options);
    if (!reader) {
        return Error{reader.error()};
    }
    inputs.reader.emplace(std::move(reader).value());
    auto signals = open_signals(options);
    if (!signals) {
        return Error{signals.error()};
    }
    inputs.signals = std::move(signals).value();
    auto command_ids = open_command_ids(options);
    if (!command_ids) {
        return Error{command_ids.error()};
    }
    inputs.command_ids = std::move(command_ids).value();
    return inputs;
}

}  // namespace

RunOptions run_options_from(const config::AgentConfig& config) {
    RunOptions options;
    options.agent.vin = config.vehicle.vin;
    options.agent.ack_timeout = config.mqtt.ack_timeout;
    options.agent.batch_max_samples = config.settings.batch.max_samples;
    options.agent.batch_max_age = config.settings.batch.max_age;
    options.link.vin = config.vehicle.vin;
    options.link.broker_uri = config.mqtt.broker_uri;
    options.link.client_id = config.mqtt.client_id;
    if (config.mqtt.tls) {
        options.link.tls = TlsOptions{config.mqtt.tls->ca_file.string(),
                                      config.mqtt.tls->certificate_file.string(),
                                      config.mqtt.tls->private_key_file.string()};
    }
    options.outbox_path = config.outbox.path;
    options.outbox_limits.max_entries = config.outbox.max_entries;
    options.outbox_limits.max_bytes = config.outbox.max_bytes;
    options.nmea_file = config.gnss.nmea_file;
    options.serial_device = config.gnss.serial_device;
    options.baud_rate = config.gnss.baud_rate;
    options.replay_speed = config.gnss.replay_speed;
    if (config.gnss.replay_max_gap) {
        options.replay_max_gap = *config.gnss.replay_max_gap;
    }
    options.signals_file = config.signals.replay_file;
    options.settings = config.settings;
    options.propulsion_storages = config.vehicle.propulsion_storages;
    options.commands = config.commands;
    options.validation.vin.verify_check_digit = config.vehicle.verify_vin_check_digit;
    return options;
}

namespace {

// One run of the program: the agent on this thread's io_context, the GNSS thread feeding the
// recorder, the command handler and the signal handlers.
class Program {
  public:
    Program(const RunOptions& options, Inputs& inputs)
        : options_(options),
          inputs_(inputs),
          agent_(io_.get_executor(), options.agent, options.link, std::move(inputs.outbox)),
          recorder_(
              recorder_options(options),
              inputs.signals ? &*inputs.signals : nullptr,
              [this](v1::Sample sample) { post_sample(std::move(sample)); },
              [this](v1::VehicleEvent event) { post_event(std::move(event)); }),
          current_settings_(options.settings),
          screen_(options.agent.vin),
          handler_(screen_,
                   *inputs.command_ids,
                   [this](const v1::AgentSettings& update) { return apply_settings(update); }),
          stop_signals_(io_, SIGINT, SIGTERM),
          sos_signal_(io_, SIGUSR1) {
        agent_.set_command_handler([this](const v1::Downlink& downlink) { on_command(downlink); });
    }

    int run() {
        if (auto started = agent_.start(); !started) {
            logger()->error("{}", started.error());
            return 2;
        }
        wait_for_stop_signal();
        wait_for_sos();
        std::jthread gnss_thread([this](std::stop_token stop) {
            read_gnss(options_, *inputs_.reader, recorder_, gnss_outcome_, stop);
            boost::asio::post(io_, [this] { on_input_ended(); });
        });
        io_.run();
        gnss_thread.request_stop();
        gnss_thread.join();
        write_summary();
        return gnss_outcome_.error.empty() ? 0 : 1;
    }

  private:
    static RecorderOptions recorder_options(const RunOptions& options) {
        return RecorderOptions{.identity = {options.agent.vin, options.propulsion_storages},
                               .settings = options.settings,
                               .record_every_fix = options.record_every_fix,
                               .validation = options.validation};
    }

    void post_sample(v1::Sample sample) {
        boost::asio::post(io_, [this, sample = std::move(sample)]() mutable {
            agent_.add_sample(std::move(sample));
        });
    }

    void post_event(v1::VehicleEvent event) {
        boost::asio::post(io_, [this, event = std::move(event)]() mutable {
            agent_.raise_event(std::move(event));
        });
    }

    // Settings from the cloud: the sampler and detectors take them on the GNSS thread, the
    // batch limits here.
    Status apply_settings(const v1::AgentSettings& update) {
        auto merged = config::merge_update(current_settings_, update);
        if (!merged) {
            return Error{merged.error()};
        }
        if (auto applied = recorder_.apply(*merged); !applied) {
            return applied;
        }
        current_settings_ = *merged;
        agent_.set_batch_limits(merged->batch.max_samples, merged->batch.max_age);
        return ok_status();
    }

    void on_command(const v1::Downlink& downlink) {
        if (auto handled = handler_.handle(downlink); !handled) {
            logger()->warn("vin={} command {} rejected: {}",
                           options_.agent.vin,
                           downlink.command_id(),
                           handled.error());
        }
    }

    void wait_for_stop_signal() {
        stop_signals_.async_wait([this](const boost::system::error_code& error, int number) {
            if (error) {
                return;
            }
            logger()->info(
                "vin={} signal {} received, flushing the outbox", options_.agent.vin, number);
            agent_.flush_batch();
            agent_.when_drained([this] { shut_down(); });
            // Give the cloud a moment to acknowledge what is in flight; the rest waits in the
            // outbox for the next start.
            auto timer =
                std::make_shared<boost::asio::steady_timer>(io_, options_.shutdown_drain_timeout);
            timer->async_wait([this, timer](const boost::system::error_code&) { shut_down(); });
        });
    }

    // SIGUSR1 presses the SOS button: a head unit without one, or a test, can raise the event.
    void wait_for_sos() {
        sos_signal_.async_wait([this](const boost::system::error_code& error, int) {
            if (error) {
                return;
            }
            agent_.raise_event(sos_event(options_));
            wait_for_sos();
        });
    }

    void on_input_ended() {
        if (!gnss_outcome_.error.empty()) {
            logger()->error(
                "vin={} GNSS input failed: {}", options_.agent.vin, gnss_outcome_.error);
        }
        logger()->info("vin={} GNSS input ended", options_.agent.vin);
        agent_.flush_batch();
        if (options_.exit_when_drained) {
            agent_.when_drained([this] { shut_down(); });
        }
    }

    void shut_down() {
        if (stopping_) {
            return;
        }
        stopping_ = true;
        stop_signals_.cancel();
        sos_signal_.cancel();
        agent_.stop();
        io_.stop();
    }

    void write_summary() {
        const std::string summary = summary_text(
            options_, agent_, gnss_outcome_, recorder_.counters(), handler_.counters());
        logger()->info("{}", summary);
        if (!options_.summary_file.empty()) {
            std::ofstream(options_.summary_file) << summary;
        }
    }

    const RunOptions& options_;
    Inputs& inputs_;
    boost::asio::io_context io_;
    Agent agent_;
    Recorder recorder_;
    config::RuntimeSettings current_settings_;
    commands::LoggingScreen screen_;
    commands::CommandHandler handler_;
    boost::asio::signal_set stop_signals_;
    boost::asio::signal_set sos_signal_;
    GnssOutcome gnss_outcome_;
    bool stopping_ = false;
};

}  // namespace

int run_agent(const RunOptions& options) {
    auto inputs = open_inputs(options);
    if (!inputs) {
        logger()->error("{}", inputs.error());
        return 2;
    }
    Program program(options, inputs.value());
    return program.run();
}

}  // namespace drivelink::agent
