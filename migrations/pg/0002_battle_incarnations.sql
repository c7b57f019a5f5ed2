CREATE TABLE "battle_incarnations" (
	"battle_id" text PRIMARY KEY NOT NULL,
	"incarnation" text NOT NULL,
	"since" timestamp (3) with time zone DEFAULT now() NOT NULL
);
