import { hrTime } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { CollectionResult, MetricProducer } from '@opentelemetry/sdk-metrics';
import { HistogramTable, type HistogramOptions } from './histogram-table.js';

/**
 * Tollgate's own histograms, handed to every metric reader (the Prometheus scrape and OTLP
 * export) as a producer next to the SDK's instruments: the readers merge them into one
 * collection, under the given instrumentation scope and the SDK's resource. They are always
 * cumulative, which is what both Tollgate's readers ask for by default; an OTLP reader set to
 * delta temporality still receives these as cumulative points, marked as such.
 */
export class HistogramTables implements MetricProducer {
  private readonly tables: HistogramTable[] = [];

  constructor(private readonly scope: string) {}

  create(options: HistogramOptions): HistogramTable {
    const table = new HistogramTable(options);
    this.tables.push(table);
    return table;
  }

  async collect(): Promise<CollectionResult> {
    const now = hrTime();
    return {
      resourceMetrics: {
        // Readers put the SDK's resource in place of a producer's.
        resource: resourceFromAttributes({}),
        scopeMetrics: [
          { scope: { name: this.scope }, metrics: this.tables.map((t) => t.collect(now)) },
        ],
      },
      errors: [],
    };
  }
}
