/**
 * A device fleet simulator speaking the device protocol v1, for demonstrations, soak tests and the
 * benchmarks in {@code bench/}.
 *
 * <p>{@code java -jar cluster-center.jar simulate --devices 100 --submit-rate 5} registers
 * {@code sim-0001}... over REST (re-registering ids that exist, to learn fresh tokens), connects
 * each over MQTT with its token, announces a profile, streams telemetry and runs the missions it is
 * assigned: ACCEPTED (or REJECTED), RUNNING with progress, then SUCCEEDED or FAILED as the rates say.
 * A status line every 5 s shows the fleet's counters.
 *
 * <p>Structure: {@link io.falconmind.center.sim.Simulator} is the command (argument parsing, exit
 * codes, signals); {@link io.falconmind.center.sim.Fleet} deploys one {@code FleetVerticle} per
 * event loop, each owning a slice of {@code SimDevice}s (every device runs on its verticle's
 * context, so one Vert.x holds thousands of devices on two cores); the models that decide what a
 * device does — {@link io.falconmind.center.sim.BatteryModel}, {@link io.falconmind.center.sim.Outcome},
 * {@link io.falconmind.center.sim.RunPlan} — are pure and take their randomness from the caller.
 */
package io.falconmind.center.sim;
