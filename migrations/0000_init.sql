CREATE TABLE `call_state` (
	`provider` text NOT NULL,
	`call_id` text NOT NULL,
	`data` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `call_id`)
);
--> statement-breakpoint
CREATE INDEX `call_state_updated` ON `call_state` (`updated_at`);--> statement-breakpoint
CREATE TABLE `contacts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`company` text,
	`phone` text,
	`mobile` text,
	`pin` text,
	`segment` text,
	`tags` text,
	`owner_email` text,
	`fields` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `contacts_phone` ON `contacts` (`phone`);--> statement-breakpoint
CREATE INDEX `contacts_mobile` ON `contacts` (`mobile`);--> statement-breakpoint
CREATE INDEX `contacts_pin` ON `contacts` (`pin`);--> statement-breakpoint
CREATE TABLE `decisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`provider` text NOT NULL,
	`call_id` text,
	`did` text,
	`caller` text,
	`dtmf` text,
	`layer` text,
	`attempt` integer,
	`lookup_key` text,
	`lookup_outcome` text,
	`contact_id` text,
	`lookups` text,
	`rule_id` integer,
	`rule_name` text,
	`action` text,
	`answer` text,
	`reason` text,
	`duration_ms` real,
	`request` text
);
--> statement-breakpoint
CREATE INDEX `decisions_at` ON `decisions` (`at`);--> statement-breakpoint
CREATE INDEX `decisions_call` ON `decisions` (`provider`,`call_id`);--> statement-breakpoint
CREATE INDEX `decisions_caller` ON `decisions` (`caller`);--> statement-breakpoint
CREATE TABLE `fallbacks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`enabled` integer DEFAULT 1 NOT NULL,
	`provider` text,
	`did` text,
	`from_layer` text,
	`action` text NOT NULL,
	`to_layer` text,
	`say` text,
	`dial` text,
	`language` text,
	`options` text,
	`note` text
);
--> statement-breakpoint
CREATE TABLE `owners` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`crm_owner_id` text,
	`email` text,
	`name` text,
	`extension` text,
	`phone` text,
	`layer` text
);
--> statement-breakpoint
CREATE INDEX `owners_crm_owner_id` ON `owners` (`crm_owner_id`);--> statement-breakpoint
CREATE INDEX `owners_email` ON `owners` (`email`);--> statement-breakpoint
CREATE TABLE `revisions` (
	`name` text PRIMARY KEY NOT NULL,
	`value` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rules` (
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
CREATE INDEX `rules_priority` ON `rules` (`priority`,`id`);