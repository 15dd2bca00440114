#include "agent/runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <fstream>
#include <thread>

#include "agent/fix_to_sample.h"
#include "agent/gnss/nmea_reader.h"

namespace drivelink::agent {
namespace {

std::shared_ptr<spdlog::logger> logger() {
    static auto instance = [] {
        auto existing = spdlog::get("agent");
        return existing ? existing : spdlog::default_logger()->clone("agent");
    }();
    return instance;
}

// What the GNSS thread found, read by the agent thread once that thread ended.
struct GnssOutcome {
    std::string error;
    gnss::DecoderCounters counters;
    uint64_t invalid_samples = 0;
};

Result<gnss::LineReader> open_input(const RunOptions& options) {
    if (!options.serial_device.empty()) {
        return gnss::LineReader::open_serial(options.serial_device, options.baud_rate);
    }
    return gnss::LineReader::open_file(options.nmea_file);
}

// Reads fixes on its own thread and posts each valid sample to the agent's thread.
void read_gnss(const RunOptions& options,
               gnss::LineReader& reader,
               boost::asio::io_context& io,
               Agent& agent,
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
        [&](const gnss::Fix& fix) {
            auto sample = to_sample(fix);
            if (auto invalid = protocol::validate_sample(
                    sample, std::chrono::system_clock::now(), options.validation)) {
                ++outcome.invalid_samples;
                logger()->warn("vin={} fix at {} not recorded: {}",
                               options.agent.vin,
                               gnss::format_utc_iso8601(fix.time),
                               invalid->detail);
                return;
            }
            boost::asio::post(io, [&agent, sample = std::move(sample)]() mutable {
                agent.add_sample(std::move(sample));
            });
        },
        stop);
    if (!delivered) {
        outcome.error = delivered.error();
    }
    outcome.counters = decoder.counters();
}

std::string summary_text(const RunOptions& options, Agent& agent, const GnssOutcome& gnss) {
    const auto& counters = agent.counters();
    std::string text = fmt::format(
        "agent summary vin={}: samples={} messages={} publishes={} resends={} acknowledged={} "
        "store_errors={} unstored_samples_lost={} invalid_fixes={}\n",
        options.agent.vin,
        counters.samples,
        counters.messages_created,
        counters.publishes,
        counters.resends,
        counters.acknowledged,
        counters.store_errors,
        counters.unstored_samples_lost,
        gnss.invalid_samples);
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

}  // namespace

int run_agent(const RunOptions& options) {
    auto outbox = Outbox::open(options.outbox_path, options.outbox_limits);
    if (!outbox) {
        logger()->error("{}", outbox.error());
        return 2;
    }
    auto reader = open_input(options);
    if (!reader) {
        logger()->error("{}", reader.error());
        return 2;
    }

    boost::asio::io_context io;
    Agent agent(io.get_executor(), options.agent, options.link, std::move(outbox).value());
    if (auto started = agent.start(); !started) {
        logger()->error("{}", started.error());
        return 2;
    }

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    // SIGUSR1 presses the SOS button: a head unit without one, or a test, can raise the event.
    boost::asio::signal_set sos_signal(io, SIGUSR1);
    bool stopping = false;
    auto shut_down = [&] {
        if (stopping) {
            return;
        }
        stopping = true;
        signals.cancel();
        sos_signal.cancel();
        agent.stop();
        io.stop();
    };

    signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
        if (error) {
            return;
        }
        logger()->info(
            "vin={} signal {} received, flushing the outbox", options.agent.vin, signal_number);
        agent.flush_batch();
        agent.when_drained(shut_down);
        // Give the cloud a moment to acknowledge what is in flight; the rest waits for the
        // next start in the outbox.
        auto timer =
            std::make_shared<boost::asio::steady_timer>(io, options.shutdown_drain_timeout);
        timer->async_wait([timer, &shut_down](const boost::system::error_code&) { shut_down(); });
    });

    std::function<void()> wait_for_sos = [&] {
        sos_signal.async_wait([&](const boost::system::error_code& error, int) {
            if (error) {
                return;
            }
            v1::VehicleEvent sos;
            sos.set_type(v1::EVENT_TYPE_SOS);
            sos.set_time_ms(now_ms());
            agent.raise_event(std::move(sos));
            wait_for_sos();
        });
    };
    wait_for_sos();

    GnssOutcome gnss_outcome;
    std::jthread gnss_thread([&](std::stop_token stop) {
        read_gnss(options, reader.value(), io, agent, gnss_outcome, stop);
        boost::asio::post(io, [&] {
            if (!gnss_outcome.error.empty()) {
                logger()->error(
                    "vin={} GNSS input failed: {}", options.agent.vin, gnss_outcome.error);
            }
            logger()->info("vin={} GNSS input ended", options.agent.vin);
            agent.flush_batch();
            if (options.exit_when_drained) {
                agent.when_drained(shut_down);
            }
        });
    });

    io.run();
    gnss_thread.request_stop();
    gnss_thread.join();

    const std::string summary = summary_text(options, agent, gnss_outcome);
    logger()->info("{}", summary);
    if (!options.summary_file.empty()) {
        std::ofstream(options.summary_file) << summary;
    }
    return gnss_outcome.error.empty() ? 0 : 1;
}

}  // namespace drivelink::agent
