#include "sim/fleet.h"

#include <sys/resource.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <thread>

#include "sim/car.h"
#include "sim/dealers.h"

namespace drivelink::sim {
namespace {

using std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> logger() {
    static auto instance = [] {
        auto existing = spdlog::get("sim");
        return existing ? existing : spdlog::default_logger()->clone("sim");
    }();
    return instance;
}

// Counts down to zero; waiters may give up after a timeout.
class Countdown {
  public:
    explicit Countdown(std::size_t count) : remaining_(count) {}

    void count_down() {
        std::lock_guard lock(mutex_);
        if (remaining_ > 0 && --remaining_ == 0) {
            done_.notify_all();
        }
    }
    bool wait_for(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return done_.wait_for(lock, timeout, [this] { return remaining_ == 0; });
    }
    std::size_t remaining() {
        std::lock_guard lock(mutex_);
        return remaining_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable done_;
    std::size_t remaining_;
};

// Runs `work` on `strand` and waits for its result.
template <typename Work>
auto run_on(const boost::asio::any_io_executor& strand, Work work) {
    std::packaged_task<decltype(work())()> task(std::move(work));
    auto result = task.get_future();
    boost::asio::post(strand, [&task] { task(); });
    return result.get();
}

// Maps the real clock to the simulated one: `factor` simulated seconds per real second from
// `simulated_start` on.
struct SimClock {
    steady_clock::time_point real_start;
    TimePoint simulated_start;
    TimePoint simulated_end;
    double factor = 1.0;

    TimePoint now() const {
        const std::chrono::duration<double> real = steady_clock::now() - real_start;
        const auto simulated =
            simulated_start + std::chrono::duration_cast<std::chrono::milliseconds>(real * factor);
        return std::min(simulated, simulated_end);
    }
};

// A car with the timer that moves it along the simulated clock.
struct CarSlot {
    boost::asio::any_io_executor strand;
    std::unique_ptr<SimCar> car;
    std::unique_ptr<boost::asio::steady_timer> timer;
};

Result<uint16_t> broker_port(const std::string& uri) {
    const auto colon = uri.rfind(':');
    if (!uri.starts_with("tcp://127.0.0.1:") || colon == std::string::npos) {
        return Error{"coverage faults need a broker URI of the form tcp://127.0.0.1:PORT, not '" +
                     uri + "'"};
    }
    return static_cast<uint16_t>(std::stoi(uri.substr(colon + 1)));
}

Result<CarSlot> make_car(boost::asio::thread_pool& pool,
                         const FleetOptions& options,
                         const std::vector<Route>& routes,
                         CarPlan plan,
                         TimePoint start) {
    CarSlot slot{.strand = boost::asio::make_strand(pool), .car = nullptr, .timer = nullptr};
    auto outbox = agent::Outbox::open(options.work_directory / "outbox" / (plan.vin + ".db"),
                                      agent::OutboxLimits{.survive_power_loss = false});
    if (!outbox) {
        return Error{outbox.error()};
    }
    std::unique_ptr<CoverageProxy> proxy;
    std::string uri = options.broker_uri;
    if (!plan.coverage_losses.empty()) {
        auto port = broker_port(options.broker_uri);
        if (!port) {
            return Error{port.error()};
        }
        auto opened = CoverageProxy::open(slot.strand, *port);
        if (!opened) {
            return Error{opened.error()};
        }
        proxy = std::move(opened).value();
        uri = "tcp://127.0.0.1:" + std::to_string(proxy->port());
    }
    agent::AgentOptions agent_options{.vin = plan.vin,
                                      .ack_timeout = options.ack_timeout,
                                      .batch_max_samples = options.batch_max_samples};
    agent::MqttLinkOptions link_options;
    link_options.broker_uri = uri;
    link_options.vin = plan.vin;
    link_options.reconnect_max = std::chrono::seconds(5);
    auto agent = std::make_unique<agent::Agent>(
        slot.strand, agent_options, link_options, std::move(outbox).value());
    slot.car = std::make_unique<SimCar>(
        slot.strand, routes, std::move(plan), start, std::move(agent), std::move(proxy));
    slot.car->agent().set_command_handler(
        [car = slot.car.get()](const v1::Downlink& downlink) { car->record_downlink(downlink); });
    slot.timer = std::make_unique<boost::asio::steady_timer>(slot.strand);
    return slot;
}

// Moves the car along the clock every tick; at the end flushes and waits for the drain.
void drive(CarSlot& slot,
           const SimClock& clock,
           std::chrono::milliseconds tick,
           Countdown& simulated,
           Countdown& drained) {
    const auto now = clock.now();
    slot.car->update_coverage(now);
    slot.car->advance_to(now);
    if (now >= clock.simulated_end) {
        if (auto* proxy = slot.car->proxy()) {
            proxy->restore();
        }
        slot.car->agent().flush_batch();
        simulated.count_down();
        slot.car->agent().when_drained([&drained] { drained.count_down(); });
        return;
    }
    slot.timer->expires_after(tick);
    slot.timer->async_wait(
        [&slot, &clock, tick, &simulated, &drained](const boost::system::error_code& error) {
            if (!error) {
                drive(slot, clock, tick, simulated, drained);
            }
        });
}

VehicleExpectation expectation_of(SimCar& car) {
    const auto& plan = car.plan();
    const auto& tally = car.tally();
    VehicleExpectation expected{.vin = plan.vin,
                                .model = plan.model->profile.model,
                                .usage = std::string(to_string(plan.usage)),
                                .messages = car.agent().counters().messages_created,
                                .samples = tally.samples,
                                .events = tally.events,
                                .distance_km = tally.distance_km,
                                .trips = tally.trips,
                                .coverage_losses = tally.coverage_losses,
                                .odometer_km = tally.odometer_km,
                                .dtcs = tally.dtcs,
                                .crashes = tally.crashes,
                                .rescue_updates = tally.rescue_updates,
                                .recommendations = tally.recommendations};
    if (auto stats = car.agent().outbox().stats(); stats) {
        expected.outbox_entries_left = stats->entries;
        expected.samples_thinned = stats->dropped_samples_total;
    }
    return expected;
}

Result<std::vector<CarSlot>> make_cars(boost::asio::thread_pool& pool,
                                       const FleetOptions& options,
                                       const std::vector<Route>& routes,
                                       std::vector<CarPlan> plans,
                                       TimePoint start) {
    std::vector<CarSlot> slots;
    slots.reserve(plans.size());
    for (auto& plan : plans) {
        auto slot = make_car(pool, options, routes, std::move(plan), start);
        if (!slot) {
            return Error{slot.error()};
        }
        slots.push_back(std::move(slot).value());
    }
    for (auto& slot : slots) {
        auto started = run_on(slot.strand, [&slot] { return slot.car->agent().start(); });
        if (!started) {
            return Error{"vin=" + slot.car->plan().vin + " agent start failed: " + started.error()};
        }
    }
    return slots;
}

std::vector<CarPlan> plan_fleet(const FleetOptions& options,
                                const std::vector<Route>& routes,
                                TimePoint start) {
    PlanSettings settings{.seed = options.seed,
                          .start = start,
                          .days = options.days,
                          .faults = options.faults,
                          .usage_mix = options.usage_mix};
    std::vector<CarPlan> plans;
    for (std::size_t i = 0; i < options.vehicles; ++i) {
        plans.push_back(plan_car(settings, routes, options.first_vehicle + i));
    }
    return plans;
}

std::size_t files_needed(const std::vector<CarPlan>& plans) {
    std::size_t files = kFilesBase;
    for (const auto& plan : plans) {
        files += kFilesPerCar + (plan.coverage_losses.empty() ? 0 : kFilesPerProxy);
    }
    return files;
}

// Waits for the simulated days to pass, logging progress now and then.
void wait_for_simulation(Countdown& simulated, const SimClock& clock, std::size_t cars) {
    while (!simulated.wait_for(std::chrono::seconds(10))) {
        logger()->info("simulated time {}, {} of {} cars still driving",
                       agent::gnss::format_utc_iso8601(clock.now()),
                       simulated.remaining(),
                       cars);
    }
}

// `clock` and `drained` must outlive the pool's handlers, because agents that have not drained
// by the timeout may still call back until they are stopped.
FleetResult drive_cars(const FleetOptions& options,
                       std::vector<CarSlot>& cars,
                       const SimClock& clock,
                       Countdown& drained) {
    Countdown simulated(cars.size());
    for (auto& slot : cars) {
        boost::asio::post(slot.strand, [&slot, &clock, &options, &simulated, &drained] {
            drive(slot, clock, options.tick, simulated, drained);
        });
    }
    wait_for_simulation(simulated, clock, cars.size());
    const auto simulated_at = steady_clock::now();
    logger()->info("simulated {} day(s) of {} cars; waiting up to {} s for the outboxes to drain",
                   options.days,
                   cars.size(),
                   options.drain_timeout.count());

    FleetResult result;
    result.drained = drained.wait_for(options.drain_timeout);
    const auto drained_at = steady_clock::now();
    if (!result.drained) {
        logger()->error("{} of {} outboxes not drained after {} s",
                        drained.remaining(),
                        cars.size(),
                        options.drain_timeout.count());
    }
    result.simulated_wall_time =
        std::chrono::duration_cast<std::chrono::milliseconds>(simulated_at - clock.real_start);
    result.drain_wall_time =
        std::chrono::duration_cast<std::chrono::milliseconds>(drained_at - simulated_at);
    result.simulated_start_utc = agent::gnss::format_utc_iso8601(clock.simulated_start);
    result.simulated_end_utc = agent::gnss::format_utc_iso8601(clock.simulated_end);
    for (auto& slot : cars) {
        result.vehicles.push_back(
            run_on(slot.strand, [&slot] { return expectation_of(*slot.car); }));
    }
    return result;
}

// Stops every agent and proxy on its strand, then the pool. Agent::stop blocks while the link
// writes the offline status and the disconnect (up to 5 s when the socket is full), so extra
// threads join the pool for the shutdown and cars stop side by side. Handlers posted after
// this are dropped with the pool.
void shut_down(std::vector<CarSlot>& cars, boost::asio::thread_pool& pool) {
    constexpr std::size_t kShutdownThreads = 32;
    std::vector<std::thread> helpers;
    for (std::size_t i = 0; i < kShutdownThreads; ++i) {
        helpers.emplace_back([&pool] { pool.attach(); });
    }
    Countdown stopped(cars.size());
    for (auto& slot : cars) {
        boost::asio::post(slot.strand, [&slot, &stopped] {
            slot.timer->cancel();
            slot.car->agent().stop();
            if (auto* proxy = slot.car->proxy()) {
                proxy->close();
            }
            stopped.count_down();
        });
    }
    if (!stopped.wait_for(std::chrono::minutes(5))) {
        logger()->error("{} agents did not stop within 5 minutes", stopped.remaining());
    }
    pool.stop();
    for (auto& helper : helpers) {
        helper.join();
    }
    pool.join();
}

// One measured crash of a steady run, touched only on its car's strand.
struct CrashProbe {
    std::optional<uint64_t> seq;
    steady_clock::time_point raised;
    bool stored = false;
    bool rescued = false;
};

// Latencies of a steady run, filled from every car's strand.
struct SteadyLatencies {
    std::mutex mutex;
    std::vector<double> stored_ms;
    std::vector<double> rescue_ms;

    void add(std::vector<double>& to, steady_clock::time_point since) {
        const std::chrono::duration<double, std::milli> latency = steady_clock::now() - since;
        std::lock_guard lock(mutex);
        to.push_back(latency.count());
    }
};

void watch_crashes(CarSlot& slot, CrashProbe& probe, SteadyLatencies& latencies) {
    auto& agent = slot.car->agent();
    auto* car = slot.car.get();
    agent.set_ack_observer([&probe, &latencies](uint64_t seq) {
        if (probe.seq && *probe.seq == seq && !probe.stored) {
            probe.stored = true;
            latencies.add(latencies.stored_ms, probe.raised);
        }
    });
    agent.set_command_handler([car, &probe, &latencies](const v1::Downlink& downlink) {
        car->record_downlink(downlink);
        if (downlink.has_rescue_update() && probe.seq && !probe.rescued) {
            probe.rescued = true;
            latencies.add(latencies.rescue_ms, probe.raised);
        }
    });
}

// Sends one report at `next` and schedules the one after, until `end`.
void report_steadily(CarSlot& slot,
                     steady_clock::time_point next,
                     steady_clock::time_point end,
                     std::chrono::milliseconds interval,
                     std::atomic<uint64_t>& reports) {
    if (next >= end) {
        return;
    }
    slot.timer->expires_at(next);
    slot.timer->async_wait(
        [&slot, next, end, interval, &reports](const boost::system::error_code& error) {
            if (error) {
                return;
            }
            slot.car->report_now();
            ++reports;
            report_steadily(slot, next + interval, end, interval, reports);
        });
}

std::size_t count_connected(std::vector<CarSlot>& cars) {
    std::size_t connected = 0;
    for (auto& slot : cars) {
        connected += run_on(slot.strand, [&slot] { return slot.car->agent().connected(); }) ? 1 : 0;
    }
    return connected;
}

// The steady run: waits for every car to connect, loads the broker and the cloud with reports
// and crashes for the configured time, then waits for the outboxes to drain.
FleetResult drive_steadily(const FleetOptions& options,
                           std::vector<CarSlot>& cars,
                           Countdown& drained,
                           SteadyLatencies& latencies,
                           std::vector<CrashProbe>& probes) {
    const auto& steady = *options.steady;
    FleetResult result;
    SteadyResult measured;
    const auto connect_start = steady_clock::now();
    for (std::size_t i = 0; i < cars.size(); ++i) {
        run_on(cars[i].strand, [&slot = cars[i], &probe = probes[i], &latencies] {
            watch_crashes(slot, probe, latencies);
        });
    }
    while (true) {
        measured.connected = count_connected(cars);
        if (measured.connected == cars.size() ||
            steady_clock::now() - connect_start > steady.connect_timeout) {
            break;
        }
        logger()->info("{} of {} cars connected", measured.connected, cars.size());
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    measured.connect_wall_time =
        std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - connect_start);
    logger()->info("{} of {} cars connected after {} ms; reporting every {} ms for {} s",
                   measured.connected,
                   cars.size(),
                   measured.connect_wall_time.count(),
                   steady.report_interval.count(),
                   steady.duration.count());

    std::atomic<uint64_t> reports = 0;
    std::mt19937_64 random(options.seed);
    std::uniform_int_distribution<int64_t> phase(0, steady.report_interval.count() - 1);
    const auto load_start = steady_clock::now();
    const auto load_end = load_start + steady.duration;
    for (auto& slot : cars) {
        const auto first = load_start + std::chrono::milliseconds(phase(random));
        boost::asio::post(slot.strand, [&slot, first, load_end, &steady, &reports] {
            report_steadily(slot, first, load_end, steady.report_interval, reports);
        });
    }
    // One car after another crashes, in a shuffled order, while the load runs.
    std::vector<std::size_t> order(cars.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), random);
    if (steady.crash_interval.count() > 0) {
        auto next_crash = load_start + steady.crash_interval;
        for (std::size_t k = 0; k < order.size() && next_crash < load_end; ++k) {
            std::this_thread::sleep_until(next_crash);
            const std::size_t i = order[k];
            boost::asio::post(cars[i].strand, [&slot = cars[i], &probe = probes[i]] {
                probe.raised = steady_clock::now();
                probe.seq = slot.car->crash_now();
            });
            ++measured.crashes;
            next_crash += steady.crash_interval;
        }
    }
    std::this_thread::sleep_until(load_end);
    measured.reports = reports;
    logger()->info("load done: {} reports, {} crashes; waiting up to {} s for the outboxes",
                   measured.reports,
                   measured.crashes,
                   options.drain_timeout.count());
    for (auto& slot : cars) {
        boost::asio::post(slot.strand, [&slot, &drained] {
            slot.car->agent().when_drained([&drained] { drained.count_down(); });
        });
    }
    result.drained = drained.wait_for(options.drain_timeout);
    if (!result.drained) {
        logger()->error("{} of {} outboxes not drained after {} s",
                        drained.remaining(),
                        cars.size(),
                        options.drain_timeout.count());
    }
    for (auto& slot : cars) {
        result.vehicles.push_back(
            run_on(slot.strand, [&slot] { return expectation_of(*slot.car); }));
    }
    {
        std::lock_guard lock(latencies.mutex);
        measured.stored_latency_ms = latencies.stored_ms;
        measured.rescue_latency_ms = latencies.rescue_ms;
    }
    result.steady = std::move(measured);
    return result;
}

// The last simulated day ends at the latest midnight, so no sample lies in the future.
TimePoint simulated_start(int days) {
    const auto midnight = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    return std::chrono::time_point_cast<std::chrono::milliseconds>(midnight -
                                                                   std::chrono::days(days));
}

Status write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    out.close();
    if (!out) {
        return Error{"failed to write " + path.string() +
                     ": check that its directory exists and is writable"};
    }
    return ok_status();
}

// One line per planned car: VIN, model, usage profile and the odometer at the start.
std::string vehicles_csv(const std::vector<CarPlan>& plans, TimePoint start) {
    std::string csv = "vin,model,usage,odometer_km\n";
    for (const auto& plan : plans) {
        agent::signals::SimulatedVehicle vehicle(plan.model->profile, plan.vehicle_seed, start);
        csv += fmt::format("{},{},{},{:.3f}\n",
                           plan.vin,
                           plan.model->profile.model,
                           to_string(plan.usage),
                           vehicle.signals_at(start).traveled_distance_km.value_or(0.0));
    }
    return csv;
}

}  // namespace

Status write_plan_files(const FleetOptions& options) {
    auto routes = load_routes(options.routes_directory);
    if (!routes) {
        return Error{routes.error()};
    }
    const TimePoint start = simulated_start(options.days);
    const auto plans = plan_fleet(options, *routes, start);
    if (!options.dealers_out.empty()) {
        const auto dealers = plan_dealers(options.seed, *routes, plans);
        if (auto written = write_text(options.dealers_out, dealers_csv(dealers)); !written) {
            return written;
        }
        logger()->info("wrote {} dealers to {}", dealers.size(), options.dealers_out.string());
    }
    if (!options.vehicles_out.empty()) {
        if (auto written = write_text(options.vehicles_out, vehicles_csv(plans, start)); !written) {
            return written;
        }
        logger()->info("wrote {} vehicles to {}", plans.size(), options.vehicles_out.string());
    }
    return ok_status();
}

Status ensure_open_file_limit(std::size_t needed, std::size_t vehicles) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return Error{std::string("failed to read the open-file limit: ") + std::strerror(errno)};
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= needed) {
        return ok_status();
    }
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
        return Error{fmt::format(
            "{} vehicles need about {} open files, but this process may open at most {} "
            "(hard limit, ulimit -Hn); run several drivelink-sim processes with fewer "
            "--vehicles each and distinct --first-vehicle numbers",
            vehicles,
            needed,
            limit.rlim_max)};
    }
    const auto old_soft = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return Error{
            fmt::format("failed to raise the open-file limit from {} to {} for {} files: {}",
                        old_soft,
                        limit.rlim_max,
                        needed,
                        std::strerror(errno))};
    }
    logger()->info(
        "raised the open-file limit from {} to {} ({} needed)", old_soft, limit.rlim_max, needed);
    return ok_status();
}

Result<FleetResult> run_fleet(const FleetOptions& options) {
    auto routes = load_routes(options.routes_directory);
    if (!routes) {
        return Error{routes.error()};
    }
    const TimePoint start = simulated_start(options.days);
    auto plans = plan_fleet(options, *routes, start);
    if (auto limit = ensure_open_file_limit(files_needed(plans), plans.size()); !limit) {
        return Error{limit.error()};
    }
    std::error_code error;
    std::filesystem::create_directories(options.work_directory / "outbox", error);
    if (error) {
        return Error{"failed to create " + (options.work_directory / "outbox").string() + ": " +
                     error.message()};
    }

    boost::asio::thread_pool pool(options.threads);
    auto cars = make_cars(pool, options, *routes, std::move(plans), start);
    if (!cars) {
        pool.stop();
        pool.join();
        return Error{cars.error()};
    }
    const SimClock clock{.real_start = steady_clock::now(),
                         .simulated_start = start,
                         .simulated_end = start + std::chrono::days(options.days),
                         .factor = 86'400.0 / options.day_seconds};
    Countdown drained(cars.value().size());
    // The probes and latencies outlive the pool's handlers, as `clock` and `drained` do.
    SteadyLatencies latencies;
    std::vector<CrashProbe> probes(cars.value().size());
    auto result = options.steady ? drive_steadily(options, cars.value(), drained, latencies, probes)
                                 : drive_cars(options, cars.value(), clock, drained);
    shut_down(cars.value(), pool);
    return result;
}

namespace {

nlohmann::json crashes_json(const std::vector<CrashPosition>& crashes) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& crash : crashes) {
        list.push_back({{"latitude_deg", crash.latitude_deg},
                        {"longitude_deg", crash.longitude_deg},
                        {"time_ms", crash.time_ms}});
    }
    return list;
}

nlohmann::json received_json(const VehicleExpectation& vehicle) {
    nlohmann::json rescue_updates = nlohmann::json::array();
    for (const auto& update : vehicle.rescue_updates) {
        nlohmann::json entry{{"command_id", update.command_id},
                             {"case_id", update.case_id},
                             {"status", update.status},
                             {"dealer_ids", update.dealer_ids}};
        if (update.first_dealer_eta_time_ms) {
            entry["first_dealer_eta_time_ms"] = *update.first_dealer_eta_time_ms;
        }
        rescue_updates.push_back(std::move(entry));
    }
    nlohmann::json recommendations = nlohmann::json::array();
    for (const auto& recommendation : vehicle.recommendations) {
        nlohmann::json entry{{"command_id", recommendation.command_id},
                             {"item", recommendation.item},
                             {"reason", recommendation.reason},
                             {"dtcs", recommendation.dtcs}};
        if (recommendation.due_traveled_distance_km) {
            entry["due_traveled_distance_km"] = *recommendation.due_traveled_distance_km;
        }
        recommendations.push_back(std::move(entry));
    }
    return {{"rescue_updates", rescue_updates}, {"recommendations", recommendations}};
}

}  // namespace

std::string to_json(const FleetOptions& options, const FleetResult& result) {
    nlohmann::json vehicles = nlohmann::json::array();
    for (const auto& vehicle : result.vehicles) {
        vehicles.push_back({{"vin", vehicle.vin},
                            {"model", vehicle.model},
                            {"usage", vehicle.usage},
                            {"messages", vehicle.messages},
                            {"samples", vehicle.samples},
                            {"events", vehicle.events},
                            {"distance_km", vehicle.distance_km},
                            {"trips", vehicle.trips},
                            {"coverage_losses", vehicle.coverage_losses},
                            {"outbox_entries_left", vehicle.outbox_entries_left},
                            {"samples_thinned", vehicle.samples_thinned},
                            {"odometer_km", vehicle.odometer_km},
                            {"dtcs", vehicle.dtcs},
                            {"crashes", crashes_json(vehicle.crashes)},
                            {"received", received_json(vehicle)}});
    }
    nlohmann::json document{{"seed", options.seed},
                            {"days", options.days},
                            {"day_seconds", options.day_seconds},
                            {"first_vehicle", options.first_vehicle},
                            {"simulated_start", result.simulated_start_utc},
                            {"simulated_end", result.simulated_end_utc},
                            {"drained", result.drained},
                            {"simulated_wall_time_ms", result.simulated_wall_time.count()},
                            {"drain_wall_time_ms", result.drain_wall_time.count()},
                            {"vehicles", vehicles}};
    if (result.steady) {
        const auto& steady = *result.steady;
        document["steady"] = {{"report_interval_ms", options.steady->report_interval.count()},
                              {"duration_s", options.steady->duration.count()},
                              {"connected", steady.connected},
                              {"connect_wall_time_ms", steady.connect_wall_time.count()},
                              {"reports", steady.reports},
                              {"crashes", steady.crashes},
                              {"stored_latency_ms", steady.stored_latency_ms},
                              {"rescue_latency_ms", steady.rescue_latency_ms}};
    }
    return document.dump(2) + "\n";
}

}  // namespace drivelink::sim
