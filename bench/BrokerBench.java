import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The MQTT broker benchmark's load generator and helpers, run with Java's source launcher (see
 * bench/broker-bench.sh). Modes:
 * <ul>
 *   <li>{@code load --host H --port P --label L [--step-sec S] [--qos 0,1] [--scenarios fan-in,fan-out,pairs]
 *       [--pub-port P2] [--persistent-subscribers] [--broker-pid PID] [--warmup-sec W] [--tick-ms T]}: the
 *       same scenarios against any MQTT 3.1.1 broker, publishers sending on a tick of T ms (10),
 *       publishers on {@code P2} when given (another node of a cluster), subscribers with clean
 *       session false when asked; one line per step, tab-separated: label, scenario, qos, offered
 *       msgs/s, delivered msgs/s (within the window), p50 ms, p99 ms, lost (not delivered by the
 *       time 5 s pass without any arriving), then p50 and p99 ms from publish to the
 *       publisher's PUBACK (NaN at QoS 0), and the broker process's CPU time in the measured window
 *       per delivery, in microseconds (NaN without {@code --broker-pid});</li>
 *   <li>{@code moquette --port P}: runs Moquette (in memory, anonymous) until killed;</li>
 *   <li>{@code connections --port P --count N --sources 127.0.0.2,127.0.0.3}: opens N idle MQTT
 *       connections (raw CONNECT, keep-alive 0) from those source addresses, prints how many the
 *       broker accepted, then holds them until stdin closes.</li>
 * </ul>
 * Latency is end to end: the publisher writes {@code System.nanoTime()} into the payload, the
 * subscriber (same JVM) subtracts it on arrival.
 */
public final class BrokerBench {

  private static final int PAYLOAD = 64;

  public static void main(String[] args) throws Exception {
    String mode = args.length == 0 ? "" : args[0];
    switch (mode) {
      case "load" -> {
        load(args);
        System.exit(0); // client threads of a step that timed out closing must not keep the run alive
      }
      case "moquette" -> moquette(args);
      case "connections" -> connections(args);
      default -> {
        System.err.println("usage: load|moquette|connections ... (see the class comment)");
        System.exit(2);
      }
    }
  }

  private static String arg(String[] args, String name, String dflt) {
    for (int i = 0; i < args.length - 1; i++) if (args[i].equals(name)) return args[i + 1];
    return dflt;
  }

  // ---- load ---------------------------------------------------------------------------------

  /** One measured step's figures. */
  private static final class Recorder {
    final long[] samples = new long[4_000_000];
    final AtomicInteger count = new AtomicInteger();
    final AtomicLong received = new AtomicLong();
    volatile boolean recording;

    void arrived(ByteBuffer payload) {
      long sent = payload.getLong(0);
      long latency = System.nanoTime() - sent;
      if (payload.get(8) != 1) return;
      received.incrementAndGet();
      int i = count.getAndIncrement();
      if (i < samples.length) samples[i] = latency;
    }

    /** A latency measured elsewhere (the time to a publisher's acknowledgement). */
    void sample(long latency) {
      received.incrementAndGet();
      int i = count.getAndIncrement();
      if (i < samples.length) samples[i] = latency;
    }

    void reset() {
      count.set(0);
      received.set(0);
    }

    double percentileMs(double p) {
      int n = Math.min(count.get(), samples.length);
      if (n == 0) return Double.NaN;
      long[] copy = Arrays.copyOf(samples, n);
      Arrays.sort(copy);
      return copy[(int) Math.min(n - 1, Math.ceil(p * n) - 1)] / 1e6;
    }
  }

  private static Mqtt3AsyncClient client(String host, int port, String id) {
    return client(host, port, id, true);
  }

  private static Mqtt3AsyncClient client(String host, int port, String id, boolean cleanSession) {
    Mqtt3AsyncClient c = MqttClient.builder().useMqttVersion3().identifier(id).serverHost(host).serverPort(port)
        .buildAsync();
    c.connectWith().cleanSession(cleanSession).keepAlive(60).send().join();
    return c;
  }

  /** Where a step's clients connect: subscribers to one port, publishers to another (another node). */
  private record Ports(String host, int subscribers, int publishers, boolean persistentSubscribers, long brokerPid) {
  }

  /**
   * CPU time a process has used so far, in clock ticks (user + system, from /proc/PID/stat); -1
   * when there is no such process to read.
   */
  private static long cpuTicks(long pid) {
    if (pid <= 0) return -1;
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      // the command name (field 2) may hold spaces: count fields from after its closing parenthesis
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  /** USER_HZ, the unit of /proc/PID/stat's times; 100 on every Linux this runs on. */
  private static final double TICKS_PER_SECOND = 100.0;

  private static void load(String[] args) throws Exception {
    String host = arg(args, "--host", "127.0.0.1");
    int port = Integer.parseInt(arg(args, "--port", "1883"));
    String label = arg(args, "--label", host + ":" + port);
    int stepSec = Integer.parseInt(arg(args, "--step-sec", "5"));
    int clients = Integer.parseInt(arg(args, "--clients", "20"));
    List<String> qosList = List.of(arg(args, "--qos", "0,1").split(","));
    List<String> scenarios = List.of(arg(args, "--scenarios", "fan-in,fan-out,pairs").split(","));
    List<Integer> rates = new ArrayList<>();
    for (String r : arg(args, "--rates", "10000,30000").split(",")) rates.add(Integer.parseInt(r));
    Ports ports = new Ports(host, port, Integer.parseInt(arg(args, "--pub-port", String.valueOf(port))),
        List.of(args).contains("--persistent-subscribers"), Long.parseLong(arg(args, "--broker-pid", "0")));
    // unmeasured warm-up in this process, so that both the broker and this generator (its MQTT
    // client compiles its hot paths too) run warm when the measured steps start. Two rounds, each
    // connecting, publishing and disconnecting: after a single round a JIT compiler has seen
    // connections come and go only before its long run of publishes, and the next connection
    // (the measured step's) sends its compiled hot paths back to be compiled again, in the window
    int warmupSec = Integer.parseInt(arg(args, "--warmup-sec", "0"));
    tickMs = Integer.parseInt(arg(args, "--tick-ms", "10"));
    for (int round = 0; round < 2; round++) {
      for (String scenario : warmupSec > 0 ? scenarios : List.<String>of()) {
        for (String q : qosList) step(ports, null, scenario, qos(q), WARMUP_RATE, clients, Math.max(1, warmupSec / 2));
      }
    }
    for (String scenario : scenarios) {
      for (String q : qosList) {
        for (int rate : rates) step(ports, label, scenario, qos(q), rate, clients, stepSec);
      }
    }
  }

  private static final int WARMUP_RATE = 10_000;
  /** The publishers' tick: each sends what falls due every this many milliseconds, as one burst. */
  private static int tickMs = 10;

  private static MqttQos qos(String code) {
    return code.equals("1") ? MqttQos.AT_LEAST_ONCE : MqttQos.AT_MOST_ONCE;
  }

  /**
   * One scenario at one offered delivery rate, its figures printed unless {@code label} is null:
   * fan-in (N publishers, 1 subscriber), fan-out (1 publisher, N subscribers; the publisher sends
   * rate/N), pairs (N publisher-subscriber pairs).
   */
  private static void step(Ports ports, String label, String scenario, MqttQos qos, int rate, int n,
                           int stepSec) throws Exception {
    // this process's own collections land in every broker's tail; start each step with a clean heap,
    // so that with a young generation larger than a step allocates (GENERATOR_JAVA_OPTS) none falls in it
    System.gc();
    String run = scenario + "-" + qos.getCode() + "-" + rate + "-" + System.nanoTime() % 100000;
    Recorder rec = new Recorder();
    Recorder acks = new Recorder();
    String host = ports.host();
    int port = ports.publishers();
    int subPort = ports.subscribers();
    boolean clean = !ports.persistentSubscribers();
    List<Mqtt3AsyncClient> subs = new ArrayList<>();
    List<Mqtt3AsyncClient> pubs = new ArrayList<>();
    List<String> pubTopics = new ArrayList<>();
    int subscribersPerMessage;
    switch (scenario) {
      case "fan-in" -> {
        subs.add(client(host, subPort, "s-" + run, clean));
        for (int i = 0; i < n; i++) {
          pubs.add(client(host, port, "p-" + run + "-" + i));
          pubTopics.add("bench/" + run + "/in");
        }
        subscribersPerMessage = 1;
      }
      case "fan-out" -> {
        for (int i = 0; i < n; i++) subs.add(client(host, subPort, "s-" + run + "-" + i, clean));
        pubs.add(client(host, port, "p-" + run));
        pubTopics.add("bench/" + run + "/out");
        subscribersPerMessage = n;
      }
      case "pairs" -> {
        for (int i = 0; i < n; i++) {
          subs.add(client(host, subPort, "s-" + run + "-" + i, clean));
          pubs.add(client(host, port, "p-" + run + "-" + i));
          pubTopics.add("bench/" + run + "/pair/" + i);
        }
        subscribersPerMessage = 1;
      }
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    for (int i = 0; i < subs.size(); i++) {
      String filter = scenario.equals("pairs") ? "bench/" + run + "/pair/" + i
          : scenario.equals("fan-in") ? "bench/" + run + "/in" : "bench/" + run + "/out";
      subs.get(i).subscribeWith().topicFilter(filter).qos(qos).callback(p -> rec.arrived(p.getPayload().orElseThrow()))
          .send().join();
    }
    int publishRate = rate / subscribersPerMessage;
    double perPublisherPerTick = publishRate / (double) pubs.size() * tickMs / 1000.0;
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    AtomicLong sent = new AtomicLong();
    AtomicLong sentWhileRecording = new AtomicLong();
    double[] carry = new double[pubs.size()];
    ticker.scheduleAtFixedRate(() -> {
      for (int i = 0; i < pubs.size(); i++) {
        carry[i] += perPublisherPerTick;
        int k = (int) carry[i];
        carry[i] -= k;
        for (int j = 0; j < k; j++) {
          ByteBuffer payload = ByteBuffer.allocate(PAYLOAD);
          boolean measured = rec.recording;
          payload.putLong(0, System.nanoTime());
          payload.put(8, (byte) (measured ? 1 : 0));
          long sentAt = System.nanoTime();
          var acked = pubs.get(i).publishWith().topic(pubTopics.get(i)).payload(payload).qos(qos).send();
          if (measured && qos != MqttQos.AT_MOST_ONCE) {
            acked.thenRun(() -> acks.sample(System.nanoTime() - sentAt));
          }
          sent.incrementAndGet();
          if (measured) sentWhileRecording.incrementAndGet();
        }
      }
    }, 0, tickMs, TimeUnit.MILLISECONDS);
    TimeUnit.SECONDS.sleep(1); // warm-up, not measured
    rec.reset();
    acks.reset();
    rec.recording = true;
    long start = System.nanoTime();
    long cpuStart = cpuTicks(ports.brokerPid());
    TimeUnit.SECONDS.sleep(stepSec);
    long cpuEnd = cpuTicks(ports.brokerPid());
    rec.recording = false;
    double seconds = (System.nanoTime() - start) / 1e9;
    long inWindow = rec.received.get();
    ticker.shutdown();
    ticker.awaitTermination(5, TimeUnit.SECONDS);
    long expected = sentWhileRecording.get() * subscribersPerMessage;
    // what was sent in the window may still be on its way: wait for it while it keeps arriving
    // (a broker that held its publishers back delivers late, not never), and 5 s past the last
    long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    long seen = rec.received.get();
    while (seen < expected && System.nanoTime() < drainUntil) {
      TimeUnit.MILLISECONDS.sleep(20);
      long now = rec.received.get();
      if (now > seen) drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      seen = now;
    }
    long got = rec.received.get();
    // the broker's CPU time in the measured window per delivery (NaN without --broker-pid)
    double cpuMicrosPerDelivery = cpuStart < 0 || cpuEnd < 0 || got == 0 ? Double.NaN
        : (cpuEnd - cpuStart) / TICKS_PER_SECOND * 1e6 / got;
    if (label != null) System.out.printf("%s\t%s\tQoS %d\t%d\t%.0f\t%.2f\t%.2f\t%d\t%.2f\t%.2f\t%.1f%n", label, scenario, qos.getCode(),
        rate, inWindow / seconds, rec.percentileMs(0.50), rec.percentileMs(0.99), Math.max(0, expected - got),
        acks.percentileMs(0.50), acks.percentileMs(0.99), cpuMicrosPerDelivery);
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (Mqtt3AsyncClient c : pubs) closing.add(c.disconnect());
    for (Mqtt3AsyncClient c : subs) closing.add(c.disconnect());
    CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).exceptionally(e -> null).get(10, TimeUnit.SECONDS);
  }

  // ---- moquette -----------------------------------------------------------------------------

  private static void moquette(String[] args) throws Exception {
    Properties p = new Properties();
    p.setProperty("port", arg(args, "--port", "1884"));
    p.setProperty("host", "127.0.0.1");
    p.setProperty("allow_anonymous", "true");
    p.setProperty("persistence_enabled", "false");
    p.setProperty("netty.mqtt.message_size", "1048576");
    Class<?> configClass = Class.forName("io.moquette.broker.config.MemoryConfig");
    Object config = configClass.getConstructor(Properties.class).newInstance(p);
    Class<?> serverClass = Class.forName("io.moquette.broker.Server");
    Object server = serverClass.getConstructor().newInstance();
    serverClass.getMethod("startServer", Class.forName("io.moquette.broker.config.IConfig")).invoke(server, config);
    System.out.println("moquette listening on " + p.getProperty("port"));
    Thread.currentThread().join();
  }

  // ---- connections --------------------------------------------------------------------------

  private static void connections(String[] args) throws Exception {
    int port = Integer.parseInt(arg(args, "--port", "1883"));
    int count = Integer.parseInt(arg(args, "--count", "10000"));
    String[] sources = arg(args, "--sources", "127.0.0.1").split(",");
    List<Socket> held = new ArrayList<>();
    byte[] buf = new byte[4];
    int refused = 0;
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      Socket s = new Socket();
      try {
        s.bind(new InetSocketAddress(sources[i % sources.length], 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(connect("idle-" + i));
        out.flush();
        InputStream in = s.getInputStream();
        int n = in.readNBytes(buf, 0, 4);
        if (n == 4 && buf[0] == 0x20 && buf[3] == 0) {
          held.add(s);
        } else {
          refused++;
          s.close();
        }
      } catch (Exception e) {
        refused++;
        s.close();
        if (refused > 100) {
          System.out.println("stopped after " + refused + " failures: " + e);
          break;
        }
      }
      if ((i + 1) % 5000 == 0) System.out.println("opened " + held.size() + " of " + (i + 1));
    }
    System.out.printf("held %d idle connections (%d refused or failed) in %.1f s%n", held.size(), refused,
        (System.nanoTime() - start) / 1e9);
    System.out.println("READY");
    System.in.read();
    for (Socket s : held) s.close();
  }

  private static byte[] connect(String clientId) {
    byte[] id = clientId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int remaining = 10 + 2 + id.length;
    byte[] out = new byte[2 + remaining];
    int i = 0;
    out[i++] = 0x10;
    out[i++] = (byte) remaining;
    out[i++] = 0;
    out[i++] = 4;
    out[i++] = 'M';
    out[i++] = 'Q';
    out[i++] = 'T';
    out[i++] = 'T';
    out[i++] = 4;
    out[i++] = 0x02;
    out[i++] = 0;
    out[i++] = 0;
    out[i++] = (byte) (id.length >> 8);
    out[i++] = (byte) id.length;
    System.arraycopy(id, 0, out, i, id.length);
    return out;
  }
}
