CREATE TABLE `menu_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`layer` text NOT NULL,
	`key` text NOT NULL,
	`action` text NOT NULL,
	`target` text,
	`say` text,
	`priority` integer DEFAULT 1000 NOT NULL,
	`enabled` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `menu_keys_layer` ON `menu_keys` (`layer`,`key`);