CREATE TABLE "answers" (
	"battle_id" text NOT NULL,
	"shard" smallint NOT NULL,
	"seq" bigint NOT NULL,
	"participant_id" integer NOT NULL,
	"question_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"answer" text NOT NULL,
	"correct" boolean NOT NULL,
	"points" integer NOT NULL,
	"bonus" integer NOT NULL,
	"at" bigint NOT NULL,
	"applied_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "answers_battle_id_shard_seq_pk" PRIMARY KEY("battle_id","shard","seq")
);
--> statement-breakpoint
CREATE TABLE "applied_ranges" (
	"battle_id" text NOT NULL,
	"shard" smallint NOT NULL,
	"from_seq" bigint NOT NULL,
	"to_seq" bigint NOT NULL,
	CONSTRAINT "applied_ranges_battle_id_shard_from_seq_to_seq_pk" PRIMARY KEY("battle_id","shard","from_seq","to_seq")
);
--> statement-breakpoint
CREATE TABLE "attacks" (
	"battle_id" text NOT NULL,
	"shard" smallint NOT NULL,
	"seq" bigint NOT NULL,
	"attacker_id" integer NOT NULL,
	"target_id" integer NOT NULL,
	"blocked" boolean NOT NULL,
	"points_lost" integer NOT NULL,
	"at" bigint NOT NULL,
	"applied_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attacks_battle_id_shard_seq_pk" PRIMARY KEY("battle_id","shard","seq")
);
--> statement-breakpoint
CREATE TABLE "battles" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"status" text NOT NULL,
	"starts_at" bigint,
	"ends_at" bigint,
	"duration_ms" integer NOT NULL,
	"max_players" integer NOT NULL,
	"created_at" bigint NOT NULL,
	"seq" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "final_results" (
	"battle_id" text NOT NULL,
	"participant_id" integer NOT NULL,
	"rank" integer NOT NULL,
	"username" text NOT NULL,
	"score" integer NOT NULL,
	"correct" integer NOT NULL,
	"arrows" integer NOT NULL,
	"shields" integer NOT NULL,
	CONSTRAINT "final_results_battle_id_participant_id_pk" PRIMARY KEY("battle_id","participant_id")
);
--> statement-breakpoint
CREATE TABLE "participants" (
	"battle_id" text NOT NULL,
	"participant_id" integer NOT NULL,
	"username" text,
	"session" text,
	"score" integer NOT NULL,
	"arrows" integer NOT NULL,
	"shields" integer NOT NULL,
	"correct" integer NOT NULL,
	"reached_at" bigint NOT NULL,
	"joined_at" bigint,
	"active" boolean DEFAULT true NOT NULL,
	"last_activity" bigint NOT NULL,
	"state_seq" bigint NOT NULL,
	"session_seq" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "participants_battle_id_participant_id_pk" PRIMARY KEY("battle_id","participant_id")
);
--> statement-breakpoint
CREATE TABLE "watermarks" (
	"battle_id" text NOT NULL,
	"shard" smallint NOT NULL,
	"seq" bigint NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "watermarks_battle_id_shard_pk" PRIMARY KEY("battle_id","shard")
);
--> statement-breakpoint
CREATE INDEX "answers_participant" ON "answers" USING btree ("battle_id","participant_id");--> statement-breakpoint
CREATE INDEX "final_results_rank" ON "final_results" USING btree ("battle_id","rank");--> statement-breakpoint
CREATE UNIQUE INDEX "participants_battle_username" ON "participants" USING btree ("battle_id","username");