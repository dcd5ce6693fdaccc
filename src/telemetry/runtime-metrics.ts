import type { Meter } from '@opentelemetry/api';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Attr, Instrument } from './vocabulary.js';

/**
 * Process and runtime metrics: event-loop delay and utilisation, V8 heap spaces and GC pauses
 * from OpenTelemetry's Node runtime instrumentation, plus the process's resident memory and CPU
 * time. They are bound to Tollgate's own MeterProvider, never the global one, so two gateways in
 * one process (tests) each export their own and neither leaks into someone else's pipeline.
 */
export class RuntimeMetrics {
  private readonly instrumentation: RuntimeNodeInstrumentation;

  constructor(provider: MeterProvider) {
    // Event-loop delay is sampled every 10 ms; finer costs CPU for no operational gain.
    this.instrumentation = new RuntimeNodeInstrumentation({ monitoringPrecision: 10 });
    this.instrumentation.setMeterProvider(provider);
    observeProcess(provider.getMeter('tollgate'));
  }

  /** Stops the event-loop sampler and the GC observer. */
  stop(): void {
    this.instrumentation.disable();
  }
}

/** Resident set size and CPU seconds, with the names and units of the semantic conventions. */
function observeProcess(meter: Meter): void {
  const memory = meter.createObservableUpDownCounter(Instrument.processMemoryUsage, {
    description: 'Resident set size of the process.',
    unit: 'By',
  });
  memory.addCallback((result) => result.observe(process.memoryUsage.rss()));

  const cpu = meter.createObservableCounter(Instrument.processCpuTime, {
    description: 'CPU seconds used by the process, by mode.',
    unit: 's',
  });
  cpu.addCallback((result) => {
    const { user, system } = process.cpuUsage();
    result.observe(user / 1e6, { [Attr.cpuMode]: 'user' });
    result.observe(system / 1e6, { [Attr.cpuMode]: 'system' });
  });
}
