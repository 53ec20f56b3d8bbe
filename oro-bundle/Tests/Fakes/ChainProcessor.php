<?php

/**
 * Fakes of oroinc/platform src/Oro/Component/ChainProcessor (checked at 3aec000b, master, and 21e1cd4d, 5.1):
 * the names, namespaces and signatures of the members the bundle uses; the bodies hold values in memory.
 */

namespace Oro\Component\ChainProcessor {
    /** ParameterBagInterface.php */
    interface ParameterBagInterface
    {
        public function has(string $key): bool;

        public function get(string $key): mixed;

        public function set(string $key, mixed $value): void;

        public function remove(string $key): void;

        public function toArray(): array;

        public function clear(): void;
    }

    /** ParameterBag.php: the same bodies. */
    class ParameterBag implements ParameterBagInterface
    {
        private array $items = [];

        public function has(string $key): bool
        {
            return \array_key_exists($key, $this->items);
        }

        public function get(string $key): mixed
        {
            return $this->items[$key] ?? null;
        }

        public function set(string $key, mixed $value): void
        {
            $this->items[$key] = $value;
        }

        public function remove(string $key): void
        {
            unset($this->items[$key]);
        }

        public function toArray(): array
        {
            return $this->items;
        }

        public function clear(): void
        {
            $this->items = [];
        }
    }

    /** ContextInterface.php: the result members (the real one also extends \ArrayAccess and has groups). */
    interface ContextInterface
    {
        public function hasResult(): bool;

        public function getResult(): mixed;

        public function setResult(mixed $data): void;

        public function removeResult(): void;
    }

    /** Context.php: the result members. */
    class Context implements ContextInterface
    {
        private bool $hasResult = false;
        private mixed $result = null;

        public function hasResult(): bool
        {
            return $this->hasResult;
        }

        public function getResult(): mixed
        {
            return $this->result;
        }

        public function setResult(mixed $data): void
        {
            $this->result = $data;
            $this->hasResult = true;
        }

        public function removeResult(): void
        {
            $this->result = null;
            $this->hasResult = false;
        }
    }

    /** ProcessorInterface.php */
    interface ProcessorInterface
    {
        public function process(ContextInterface $context);
    }
}
