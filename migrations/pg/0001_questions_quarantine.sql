CREATE TABLE "battle_questions" (
	"battle_id" text NOT NULL,
	"idx" integer NOT NULL,
	"question" jsonb NOT NULL,
	CONSTRAINT "battle_questions_battle_id_idx_pk" PRIMARY KEY("battle_id","idx")
);
--> statement-breakpoint
CREATE TABLE "quarantine" (
	"battle_id" text NOT NULL,
	"shard" smallint NOT NULL,
	"seq" bigint NOT NULL,
	"event" text NOT NULL,
	"error" text NOT NULL,
	"quarantined_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"reapplied_at" timestamp (3) with time zone,
	CONSTRAINT "quarantine_battle_id_shard_seq_pk" PRIMARY KEY("battle_id","shard","seq")
);
