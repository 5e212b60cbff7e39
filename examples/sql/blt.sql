-- BLT from Flink SQL: patches and per-record scores of the raw lines in Kafka topic blt.bytes
-- (key = stream id, value = one record), written as JSON to two topics.
-- Create the output topics first: /usr/bin/python3 examples/create_topics.py --with-sql
-- Run with Flink 2.2's SQL client:  $FLINK_HOME/bin/sql-client.sh -j flink-job/target/blt.jar -f examples/sql/blt.sql
-- The model is the one bundled in blt.jar, on CPU, unless the job parameters name another:
-- SET 'pipeline.global-job-parameters' = 'blt.model:/opt/blt/models/blt-default,blt.device:cuda:0';

-- The sinks write in Kafka transactions committed at each checkpoint (read with read_committed);
-- their timeout (10 min) must stay under the broker's transaction.max.timeout.ms (15 min by default).
SET 'execution.checkpointing.interval' = '10 s';

CREATE TEMPORARY FUNCTION BLT_PATCHES AS 'dev.blt.sql.BltPatches';
CREATE TEMPORARY FUNCTION BLT_RECORD_SCORE AS 'dev.blt.sql.BltRecordScore';

CREATE TABLE logs (
  stream_id STRING,
  payload BYTES
) WITH (
  'connector' = 'kafka',
  'topic' = 'blt.bytes',
  'properties.bootstrap.servers' = 'localhost:9092',
  'properties.group.id' = 'blt-sql',
  'scan.startup.mode' = 'earliest-offset',
  'key.format' = 'raw',
  'key.fields' = 'stream_id',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY'
);

CREATE TABLE sql_patches (
  stream_id STRING,
  record_index BIGINT,
  patch_index BIGINT,
  start_offset BIGINT,
  patch_bytes BYTES,
  entropies ARRAY<FLOAT>,
  close_reason STRING,
  last_in_record BOOLEAN,
  model_id STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'blt.sql.patches',
  'properties.bootstrap.servers' = 'localhost:9092',
  'key.format' = 'raw',
  'key.fields' = 'stream_id',
  'value.format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'blt-sql-patches',
  'properties.transaction.timeout.ms' = '600000'
);

CREATE TABLE sql_record_scores (
  stream_id STRING,
  byte_count INT,
  patches INT,
  mean_bits_per_byte FLOAT,
  max_surprise_patch_index BIGINT,
  max_surprise_bits_per_byte FLOAT,
  embedding ARRAY<FLOAT>,
  model_id STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'blt.sql.record-scores',
  'properties.bootstrap.servers' = 'localhost:9092',
  'key.format' = 'raw',
  'key.fields' = 'stream_id',
  'value.format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'blt-sql-record-scores',
  'properties.transaction.timeout.ms' = '600000'
);

EXECUTE STATEMENT SET
BEGIN
  -- Each stream's records in order, patched in the context of the records before them.
  INSERT INTO sql_patches
  SELECT * FROM BLT_PATCHES(input => TABLE logs PARTITION BY stream_id);

  -- Each record alone: bits per byte under BLT, its most surprising patch, its embedding.
  INSERT INTO sql_record_scores
  SELECT l.stream_id, s.*
  FROM logs AS l, LATERAL TABLE(BLT_RECORD_SCORE(l.payload)) AS s;
END;
