/**
 * The metric catalog the release-case generator draws from: the seed deck's five categories
 * (system: CPU, memory, load; container: Tomcat, JVM; middleware: HSF, TDDL, Tair QPS and RT;
 * application: exceptions and error rate; business: orders, logins, payments), each with the
 * signal model that shapes its values.
 */
import type { Direction } from '../../src/core/detector.js';
import type { MetricCategory } from '../../src/datasets/case.js';

/**
 * How a metric's values come about:
 * - `volume`: requests or business events per second, proportional to traffic;
 * - `count`: events per step (Poisson), proportional to traffic;
 * - `latency`: milliseconds, rising gently with load;
 * - `utilization`: a percentage that rises with traffic (CPU);
 * - `load`: run-queue length, rising with traffic;
 * - `memory`: a percentage that barely follows traffic;
 * - `gc`: milliseconds of collection per step, proportional to traffic, skewed;
 * - `threads`: busy worker threads (traffic × latency);
 * - `errorRate`: failed requests in percent (binomial: noisier at low traffic);
 * - `successRate`: succeeded requests in percent (binomial).
 */
export type SignalKind = 'volume' | 'count' | 'latency' | 'utilization' | 'load' | 'memory' | 'gc' | 'threads' | 'errorRate' | 'successRate';

export interface MetricSpec {
  name: string;
  category: MetricCategory;
  direction: Direction;
  critical: boolean;
  signal: SignalKind;
  /** Decimal places kept in the data set. */
  decimals: number;
}

export const metricCatalog: readonly MetricSpec[] = [
  { name: 'system.cpu.util', category: 'system', direction: 'up', critical: false, signal: 'utilization', decimals: 1 },
  { name: 'system.load.1min', category: 'system', direction: 'up', critical: false, signal: 'load', decimals: 2 },
  { name: 'system.mem.used.pct', category: 'system', direction: 'up', critical: false, signal: 'memory', decimals: 1 },
  { name: 'container.jvm.gc.time', category: 'container', direction: 'up', critical: false, signal: 'gc', decimals: 1 },
  { name: 'container.jvm.heap.used.pct', category: 'container', direction: 'up', critical: false, signal: 'memory', decimals: 1 },
  { name: 'container.tomcat.threads.busy', category: 'container', direction: 'up', critical: false, signal: 'threads', decimals: 0 },
  { name: 'middleware.hsf.provider.rt', category: 'middleware', direction: 'up', critical: false, signal: 'latency', decimals: 2 },
  { name: 'middleware.hsf.provider.qps', category: 'middleware', direction: 'both', critical: false, signal: 'volume', decimals: 2 },
  { name: 'middleware.tddl.read.rt', category: 'middleware', direction: 'up', critical: false, signal: 'latency', decimals: 2 },
  { name: 'middleware.tddl.write.qps', category: 'middleware', direction: 'both', critical: false, signal: 'volume', decimals: 2 },
  { name: 'middleware.tair.write.qps', category: 'middleware', direction: 'both', critical: false, signal: 'volume', decimals: 2 },
  { name: 'application.exception.count', category: 'application', direction: 'up', critical: false, signal: 'count', decimals: 0 },
  { name: 'application.error.rate', category: 'application', direction: 'up', critical: true, signal: 'errorRate', decimals: 3 },
  { name: 'application.http.rt', category: 'application', direction: 'up', critical: false, signal: 'latency', decimals: 2 },
  { name: 'business.order.count', category: 'business', direction: 'down', critical: true, signal: 'count', decimals: 0 },
  { name: 'business.login.success.rate', category: 'business', direction: 'down', critical: true, signal: 'successRate', decimals: 3 },
  { name: 'business.pay.success.rate', category: 'business', direction: 'down', critical: false, signal: 'successRate', decimals: 3 },
];

/** Exception signatures an application logs now and then, release or not. */
export const backgroundExceptions: readonly string[] = [
  'com.taobao.hsf.exception.HSFTimeOutException at com.acme.item.ItemClient.query',
  'java.net.SocketTimeoutException at com.acme.cache.TairClient.get',
  'com.acme.trade.InventoryShortException at com.acme.trade.OrderService.reserve',
  'java.io.IOException: Broken pipe at org.apache.catalina.connector.OutputBuffer.flush',
  'com.acme.risk.RiskRejectException at com.acme.risk.RiskGate.check',
  'org.springframework.dao.QueryTimeoutException at com.acme.cart.CartDao.load',
];

/** Exceptions that a bad build throws and that never appear in a healthy one. */
export const fatalExceptions: readonly string[] = [
  'java.lang.NullPointerException at com.acme.cart.Cart.total',
  'java.lang.NoClassDefFoundError: com/acme/promo/CouponRule at com.acme.promo.PromoEngine.apply',
  'java.lang.NoSuchMethodError: com.acme.user.UserDTO.getLevel()I at com.acme.login.LoginService.check',
  'java.lang.ClassCastException at com.acme.pay.PayChannelRouter.route',
  'java.lang.OutOfMemoryError: Java heap space at com.acme.search.ResultCache.put',
  'java.lang.IllegalStateException: config key trade.timeout missing at com.acme.trade.Config.load',
];

/** Errors seen on every host when a dependency fails (not the release's fault). */
export const upstreamExceptions: readonly string[] = [
  'com.taobao.hsf.exception.HSFServiceAddressNotFoundException at com.acme.item.ItemClient.query',
  'com.mysql.jdbc.exceptions.jdbc4.CommunicationsException at com.acme.trade.OrderDao.insert',
  'com.taobao.tair.TairTimeoutException at com.acme.cache.TairClient.put',
];
