CREATE TABLE `draft_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`priority` integer DEFAULT 100 NOT NULL,
	`enabled` integer DEFAULT 1 NOT NULL,
	`provider` text,
	`did` text,
	`caller` text,
	`from_layer` text,
	`dtmf` text,
	`identify_by` text DEFAULT 'caller' NOT NULL,
	`lookup` text,
	`contact_match` text,
	`attempt` text,
	`days` text,
	`time_from` text,
	`time_to` text,
	`time_zone` text,
	`action` text NOT NULL,
	`to_layer` text,
	`say` text,
	`dial` text,
	`language` text,
	`options` text,
	`note` text
);
--> statement-breakpoint
CREATE TABLE `routing_draft` (
	`id` integer PRIMARY KEY NOT NULL,
	`started_at` text NOT NULL,
	`started_by` text NOT NULL,
	`base_revision` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `routing_publications` (
	`revision` integer PRIMARY KEY NOT NULL,
	`published_at` text NOT NULL,
	`published_by` text NOT NULL,
	`rules` text NOT NULL,
	`fallbacks` text NOT NULL,
	`menu_keys` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `decisions` ADD `revision` integer;